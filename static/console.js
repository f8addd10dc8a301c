// The console's small helpers; every form works without them (the server checks everything again).
// Side navigation folded on narrow screens; focus on a form's problems; live Markdown preview; slug made from
// the name; copy a new token; the composer's group buttons and notify hint.
(function () {
  "use strict";

  // The side navigation: open on wide screens, folded into "Menu" on narrow ones (open without JavaScript).
  var menu = document.querySelector("[data-console-menu]");
  if (menu && window.matchMedia) {
    var wide = window.matchMedia("(min-width: 60em)");
    var sync = function () { menu.open = wide.matches; };
    sync();
    if (wide.addEventListener) { wide.addEventListener("change", sync); }
  }

  // A form's problems, summed up at its top, take the focus so they are read first.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) { summary.focus(); }

  // Live preview of Markdown messages, rendered by the server as the public page renders them.
  var csrf = document.querySelector("input[name=csrf_token]");
  document.querySelectorAll("[data-preview-for]").forEach(function (box) {
    var field = document.getElementById(box.getAttribute("data-preview-for"));
    var frame = box.closest("[data-preview-box]") || box;
    if (!field || !csrf) { return; }
    var timer = null;
    var refresh = function () {
      var body = new FormData();
      body.append("body", field.value);
      fetch(box.getAttribute("data-preview-url"), {
        method: "POST", body: body, credentials: "same-origin", headers: {"X-CSRFToken": csrf.value}
      }).then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          box.innerHTML = data.html;  // sanitized on the server by the same code as the public page
          frame.hidden = !field.value.trim();
        }).catch(function () {});
    };
    field.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(refresh, 250); });
    if (field.value.trim()) { refresh(); }
  });

  // A slug made from the name while it is typed, until someone edits the slug itself.
  var slugFrom = function (name) {
    var map = {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ł": "l", "þ": "th"};
    var text = name.toLowerCase().replace(/[äöüßæœøđłþ]/g, function (ch) { return map[ch]; });
    text = text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "");
    return text.replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 64).replace(/-+$/, "");
  };
  document.querySelectorAll("[data-slug-from]").forEach(function (slug) {
    var name = document.getElementById(slug.getAttribute("data-slug-from"));
    if (!name) { return; }
    var edited = slug.value !== "" && slug.value !== slugFrom(name.value);
    if (!edited && name.value) { slug.value = slugFrom(name.value); }  // a name typed (or restored) before this ran
    slug.addEventListener("input", function () { edited = slug.value !== ""; });
    name.addEventListener("input", function () { if (!edited) { slug.value = slugFrom(name.value); } });
  });

  // Copy a value (a new API token) to the clipboard.
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    var status = document.querySelector("[data-copy-status]");
    if (!source) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var done = function () { if (status) { status.textContent = button.getAttribute("data-copied"); } };
      var fallback = function () {
        var range = document.createRange();
        range.selectNodeContents(source);
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        try { if (document.execCommand("copy")) { done(); } } catch (e) { /* selected: Ctrl+C copies it */ }
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(source.textContent.trim()).then(done, fallback);
      } else {
        fallback();
      }
    });
  });

  // The component picker. Maintenance: a group's box checks all its components, and shows when some are.
  document.querySelectorAll("[data-picker-group]").forEach(function (group) {
    var all = group.querySelector("[data-picker-all]");
    var boxes = Array.prototype.slice.call(group.querySelectorAll("input[name=components]:not(:disabled)"));
    if (all && boxes.length) {
      var show = function () {
        var checked = boxes.filter(function (box) { return box.checked; }).length;
        all.checked = checked === boxes.length;
        all.indeterminate = checked > 0 && checked < boxes.length;
      };
      all.addEventListener("change", function () {
        boxes.forEach(function (box) { box.checked = all.checked; });
        show();
      });
      boxes.forEach(function (box) { box.addEventListener("change", show); });
      show();
    }
    // Incidents: one click gives every component of the group the same status.
    var setAll = group.querySelector("[data-picker-set-all]");
    if (setAll) {
      setAll.hidden = false;
      setAll.querySelectorAll("[data-set-status]").forEach(function (button) {
        button.addEventListener("click", function () {
          group.querySelectorAll("input[type=radio][value=" + button.getAttribute("data-set-status") + "]")
            .forEach(function (radio) { radio.checked = true; });
        });
      });
    }
  });

  // The composer: say when subscribers will not be told; resolving frees the components.
  document.querySelectorAll("[data-composer]").forEach(function (form) {
    var notify = form.querySelector("[data-notify-toggle]");
    var off = form.querySelector("[data-notify-off]");
    if (notify && off) {
      var hint = function () { off.hidden = notify.checked; };
      notify.addEventListener("change", hint);
      hint();
    }
    var resolveHint = form.querySelector("[data-resolve-hint]");
    if (resolveHint) {
      var picker = form.querySelector(".component-picker");
      var watch = function () {
        var chosen = form.querySelector("input[name=status]:checked");
        var resolving = chosen && chosen.value === "resolved";
        resolveHint.hidden = !resolving;
        if (picker) { picker.hidden = resolving; }
      };
      form.querySelectorAll("input[name=status]").forEach(function (radio) { radio.addEventListener("change", watch); });
      watch();
    }
  });
})();
