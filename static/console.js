// Live preview of Markdown messages in the console; without JavaScript the form still works.
(function () {
  "use strict";
  var csrf = document.querySelector("input[name=csrf_token]");
  document.querySelectorAll("[data-preview-for]").forEach(function (box) {
    var field = document.getElementById(box.getAttribute("data-preview-for"));
    if (!field || !csrf) { return; }
    var timer = null;
    function refresh() {
      var body = new FormData();
      body.append("body", field.value);
      fetch(box.getAttribute("data-preview-url"), {
        method: "POST", body: body, credentials: "same-origin", headers: {"X-CSRFToken": csrf.value}
      }).then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          box.innerHTML = data.html;  // sanitized on the server by the same code as the public page
          box.hidden = !field.value.trim();
        }).catch(function () {});
    }
    field.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(refresh, 250); });
    if (field.value.trim()) { refresh(); }
  });
})();
