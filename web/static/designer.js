// Live validation in the instrument editor: posts the text (never saves it) and lists problems.
(function () {
  "use strict";
  var area = document.getElementById("source");
  var list = document.getElementById("problems");
  if (!area || !list) { return; }
  var url = area.getAttribute("data-check-url");
  var token = document.querySelector("input[name=csrf_token]").value;
  var timer = null;
  var sent = 0;
  function show(problems) {
    list.textContent = "";
    problems.forEach(function (p) {
      var li = document.createElement("li");
      li.textContent = (p.path ? p.path + ": " : "") + p.message;
      list.appendChild(li);
    });
  }
  function check() {
    var mine = ++sent;
    var body = new URLSearchParams();
    body.set("source", area.value);
    body.set("csrf_token", token);
    fetch(url, {method: "POST", body: body, credentials: "same-origin",
                headers: {"X-CSRFToken": token, "Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        // Only the latest check may paint: an earlier, slower answer must not overwrite it.
        if (data && mine === sent) { show(data.problems); }
      })
      .catch(function () { /* offline: the Save button still validates on the server */ });
  }
  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(check, 600);
  }
  area.addEventListener("input", schedule);
  // Text typed (or pasted) before this script arrived on a slow connection is checked too.
  if (area.value !== area.defaultValue) { schedule(); }
})();
