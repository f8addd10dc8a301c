// The public pages' small helpers; every page works without them.
(function () {
  "use strict";

  // Subscribe and manage: a group's box is ticked when all its components are, half-ticked when some are,
  // and ticking it ticks them all. (Without this script a ticked group box chooses the whole group.)
  document.querySelectorAll("[data-group-box]").forEach(function (box) {
    var members = document.querySelectorAll('input[data-group="' + box.getAttribute("data-group-box") + '"]');
    function follow() {
      var ticked = 0;
      members.forEach(function (member) { if (member.checked) { ticked += 1; } });
      box.checked = members.length > 0 && ticked === members.length;
      box.indeterminate = ticked > 0 && ticked < members.length;
    }
    box.addEventListener("change", function () {
      members.forEach(function (member) { member.checked = box.checked; });
      box.indeterminate = false;
    });
    members.forEach(function (member) { member.addEventListener("change", follow); });
    follow();
  });

  // The status page during an incident: refresh it every minute if the reader asked for that, remembered in
  // this browser only (the page itself is the same for everyone, so the server's cache keeps serving it).
  var toggle = document.getElementById("auto-refresh");
  if (!toggle) { return; }
  var KEY = "statuspage.autoRefresh";
  var PERIOD_MS = 60 * 1000;
  var since = Date.now();  // when the page was loaded, or the choice made
  var timer = null;
  function remembered() {
    try { return window.localStorage.getItem(KEY) === "on"; } catch (e) { return false; }
  }
  function remember(on) {
    try { if (on) { window.localStorage.setItem(KEY, "on"); } else { window.localStorage.removeItem(KEY); } }
    catch (e) { /* storage refused: the choice lasts as long as this page */ }
  }
  // A tab in the background does not refresh; once it is seen again, a page older than a minute refreshes.
  function schedule() {
    clearTimeout(timer);
    if (toggle.checked && document.visibilityState !== "hidden") {
      timer = setTimeout(function () { window.location.reload(); }, Math.max(0, PERIOD_MS - (Date.now() - since)));
    }
  }
  toggle.checked = remembered();
  document.getElementById("auto-refresh-control").hidden = false;
  toggle.addEventListener("change", function () { remember(toggle.checked); since = Date.now(); schedule(); });
  document.addEventListener("visibilitychange", schedule);
  schedule();
})();
