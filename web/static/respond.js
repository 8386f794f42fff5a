// The respondent's page, enhanced where the browser allows; it works the same without it.
//
// 1. Relevance conditions, applied as the respondent answers. The server applies the same
//    conditions on every submit; this only hides questions that do not apply. The language is
//    the one of instruments/expressions.py: comparisons, in [..], and/or/not, answered(q),
//    selected(q, v).
// 2. Pages posted in place: "Далее" sends the page and gets the next one in the same reply
//    (one round trip instead of a redirect and a second request: on a weak rural connection
//    that halves the wait), the address follows through the history API, and a lost
//    connection leaves the page as it is with a message, to be sent again (the server keeps a
//    page's answers once, however often it is sent). Browsers without fetch or
//    SubmitEvent.submitter post the ordinary way.
(function () {
  "use strict";
  var form, earlier;

  function typed(v) { return (v !== "" && !isNaN(Number(v))) ? Number(v) : v; }

  function current(code) {
    var inputs = form.querySelectorAll('[name="' + code + '"]');
    if (!inputs.length) { return earlier.hasOwnProperty(code) ? earlier[code] : null; }
    var first = inputs[0];
    if (first.type === "checkbox") {
      var chosen = [];
      inputs.forEach(function (i) { if (i.checked) { chosen.push(typed(i.value)); } });
      return chosen;
    }
    if (first.type === "radio") {
      var value = null;
      inputs.forEach(function (i) { if (i.checked) { value = typed(i.value); } });
      return value;
    }
    return first.value === "" ? null : typed(first.value);
  }

  function tokenize(text) {
    var re = /\s*(?:(-?\d+(?:\.\d+)?)|('[^']*'|"[^"]*")|(<=|>=|!=|==|=|<|>)|([()\[\],])|([A-Za-z_][A-Za-z0-9_]*))/y;
    var out = [], m;
    re.lastIndex = 0;
    while (re.lastIndex < text.length && text.slice(re.lastIndex).trim() !== "") {
      m = re.exec(text);
      if (!m) { throw new Error("syntax"); }
      if (m[1] !== undefined) { out.push({k: "num", v: Number(m[1])}); }
      else if (m[2] !== undefined) { out.push({k: "str", v: m[2].slice(1, -1)}); }
      else if (m[3] !== undefined) { out.push({k: "op", v: m[3]}); }
      else if (m[4] !== undefined) { out.push({k: "p", v: m[4]}); }
      else { var w = m[5].toLowerCase(); out.push(["and", "or", "not", "in", "answered", "selected"].indexOf(w) >= 0 ? {k: "kw", v: w} : {k: "id", v: m[5]}); }
    }
    out.push({k: "end"});
    return out;
  }

  function present(v) { return v !== null && v !== undefined && v !== "" && !(Array.isArray(v) && !v.length); }

  function evaluate(text) {
    var t = tokenize(text), i = 0;
    function peek(k, v) { return t[i].k === k && (v === undefined || t[i].v === v); }
    function take(k, v) { if (peek(k, v)) { return t[i++]; } return null; }
    function need(k, v) { var x = take(k, v); if (!x) { throw new Error("syntax"); } return x; }
    function literal() { var x = take("num") || take("str"); if (!x) { throw new Error("syntax"); } return x.v; }
    function operand() {
      if (peek("num") || peek("str")) { return literal(); }
      if (take("p", "(")) { var v = expr(); need("p", ")"); return v; }
      if (take("kw", "answered")) { need("p", "("); var a = need("id").v; need("p", ")"); return present(current(a)); }
      if (take("kw", "selected")) {
        need("p", "("); var s = need("id").v; need("p", ","); var want = literal(); need("p", ")");
        var got = current(s) || [];
        return got.some(function (x) { return String(x) === String(want); });
      }
      return current(need("id").v);
    }
    function comparison() {
      var left = operand();
      var negate = !!take("kw", "not");
      if (negate || peek("kw", "in")) {
        need("kw", "in"); need("p", "[");
        var list = [literal()];
        while (take("p", ",")) { list.push(literal()); }
        need("p", "]");
        if (!present(left)) { return false; }
        return list.some(function (x) { return x === left; }) !== negate;
      }
      var op = take("op");
      if (!op) { return left; }
      var right = operand();
      if (!present(left) || !present(right)) { return false; }
      switch (op.v) {
        case "=": case "==": return left === right;
        case "!=": return left !== right;
        case "<": return left < right;
        case "<=": return left <= right;
        case ">": return left > right;
        default: return left >= right;
      }
    }
    function truthy(v) { return typeof v === "boolean" ? v : present(v); }
    function not() { if (take("kw", "not")) { return !truthy(not()); } return comparison(); }
    function and() { var v = not(); while (take("kw", "and")) { var r = not(); v = truthy(v) && truthy(r); } return v; }
    function expr() { var v = and(); while (take("kw", "or")) { var r = and(); v = truthy(v) || truthy(r); } return v; }
    return truthy(expr());
  }

  function relevance() {
    form = document.querySelector("form[data-earlier]");
    if (!form) { return; }
    earlier = JSON.parse(form.getAttribute("data-earlier") || "{}");
    var conditional = form.querySelectorAll("[data-relevant]");
    function apply() {
      conditional.forEach(function (q) {
        var show;
        try { show = evaluate(q.getAttribute("data-relevant")); } catch (e) { show = true; }
        q.hidden = !show;
        q.querySelectorAll("input, select, textarea").forEach(function (i) { i.disabled = !show; });
      });
    }
    form.addEventListener("change", apply);
    apply();
  }

  var LOST = "Нет связи с сервером. Ответы на этой странице не потеряны: " +
    "нажмите кнопку ещё раз, когда связь появится.";

  function swap(html, address) {
    var next = new DOMParser().parseFromString(html, "text/html");
    var main = document.querySelector("main"), incoming = next.querySelector("main");
    if (!main || !incoming) { document.open(); document.write(html); document.close(); return; }
    document.title = next.title;
    main.innerHTML = incoming.innerHTML;
    if (address) { history.pushState({rootcause: true}, "", address); }
    window.scrollTo(0, 0);
    var focus = main.querySelector("#errors") || main.querySelector("h1");
    if (focus) { focus.setAttribute("tabindex", "-1"); focus.focus(); }
    start();
  }

  function inPlace() {
    var page = document.querySelector("form[data-in-place]");
    if (!page || !window.fetch || !window.DOMParser || !window.URLSearchParams ||
        !window.FormData || !window.history || !history.pushState) { return; }
    page.addEventListener("submit", function (event) {
      var submitter = event.submitter;
      if (submitter === undefined) { return; }  // an old browser: post the ordinary way
      event.preventDefault();
      var data = new FormData(page);
      if (submitter && submitter.name) { data.append(submitter.name, submitter.value); }
      var buttons = page.querySelectorAll("button");
      buttons.forEach(function (b) { b.disabled = true; });
      page.setAttribute("aria-busy", "true");
      var notice = page.querySelector(".lost");
      if (notice) { notice.remove(); }
      fetch(page.action, {
        method: "POST",
        body: new URLSearchParams(data),
        credentials: "same-origin",
        headers: {"X-Rootcause-In-Place": "1"}
      }).then(function (reply) {
        return reply.text().then(function (html) {
          swap(html, reply.headers.get("X-Rootcause-Location"));
        });
      }).catch(function () {
        buttons.forEach(function (b) { b.disabled = false; });
        page.removeAttribute("aria-busy");
        var p = document.createElement("p");
        p.className = "lost error-box";
        p.setAttribute("role", "alert");
        p.textContent = LOST;
        page.insertBefore(p, page.querySelector(".nav"));
      });
    });
  }

  // 3. Required questions checked before a page is sent, with the server's Russian message
  //    next to the question (the form has novalidate: the browser's own bubbles would be in
  //    the browser's language and gone at the next tap). Questions hidden by a condition are
  //    skipped (their inputs are disabled); the server checks everything again.
  var REQUIRED = "это обязательный вопрос";
  var SUMMARY = "Проверьте ответы: исправьте отмеченные вопросы и отправьте ещё раз.";

  function note(box, described, id, text, after) {
    var p = document.createElement("p");
    p.className = "err client-err";
    p.id = id;
    p.textContent = text;
    if (after) { after.insertAdjacentElement("afterend", p); } else { box.appendChild(p); }
    var ids = (described.getAttribute("aria-describedby") || "").split(" ");
    if (ids.indexOf(p.id) < 0) { ids.push(p.id); }
    described.setAttribute("aria-describedby", ids.join(" ").trim());
    return p;
  }

  function over(fieldset) {
    var limit = Number(fieldset.getAttribute("data-max-choices"));
    return fieldset.querySelectorAll("input:checked").length > limit;
  }

  function missing(input) {
    if (input.type === "radio") {
      return !input.form.querySelector('input[name="' + input.name + '"]:checked');
    }
    return input.value === "";
  }

  function check(page) {
    page.querySelectorAll(".client-err").forEach(function (e) { e.remove(); });
    page.querySelectorAll(".client-invalid").forEach(function (e) {
      e.classList.remove("invalid", "client-invalid");
    });
    var seen = {}, first = null;
    page.querySelectorAll("[required]").forEach(function (input) {
      if (input.disabled || seen[input.name] || !missing(input)) { return; }
      seen[input.name] = true;
      first = first || input;
      var box = input.closest(".mrow") || input.closest(".q");
      if (!box || box.querySelector(".err")) { return; }  // the server's message is there
      box.classList.add("invalid", "client-invalid");
      note(box, input.closest("fieldset") || input, "q-" + input.name + "-err", REQUIRED);
    });
    page.querySelectorAll("fieldset[data-max-choices]").forEach(function (fieldset) {
      var input = fieldset.querySelector("input");
      if (!input || input.disabled || !over(fieldset)) { return; }
      first = first || input;
      var box = fieldset.closest(".q");
      if (!box || box.querySelector(".err")) { return; }
      box.classList.add("invalid", "client-invalid");
      note(box, fieldset, "q-" + input.name + "-err", fieldset.getAttribute("data-max-message"));
    });
    if (!first) { return true; }
    var summary = document.createElement("div");
    summary.className = "error-box client-err";
    summary.setAttribute("role", "alert");
    summary.textContent = SUMMARY;
    page.insertBefore(summary, page.firstChild);
    first.focus();
    return false;
  }

  function checked() {
    var page = document.querySelector("form[data-in-place]");
    if (!page) { return; }
    page.addEventListener("submit", function (event) {
      var submitter = event.submitter;
      if (submitter && submitter.value === "back") { return; }
      if (!check(page)) { event.preventDefault(); event.stopImmediatePropagation(); }
    });
  }

  // 4. A multiple choice limited to N answers (max_choices): a choice beyond N is undone at
  //    once and the server's message appears under the box tapped, announced to screen
  //    readers; the options stay enabled and in the tab order, so nobody is left guessing
  //    why a box does not react. The server refuses more than N all the same.
  function limits() {
    document.querySelectorAll("fieldset[data-max-choices]").forEach(function (fieldset) {
      var name = (fieldset.querySelector("input") || {}).name;
      var id = "q-" + name + "-limit";
      fieldset.addEventListener("change", function (event) {
        var box = fieldset.closest(".q") || fieldset;
        var shown = document.getElementById(id);
        if (shown) {  // a new message is read out again; an unchecked box ends it
          shown.remove();
          var ids = (fieldset.getAttribute("aria-describedby") || "").split(" ");
          fieldset.setAttribute("aria-describedby", ids.filter(function (x) { return x !== id; }).join(" "));
        }
        if (event.target.checked && over(fieldset)) {
          event.target.checked = false;
          // Right under the box tapped: on a phone the end of a long list may be off screen.
          note(box, fieldset, id, fieldset.getAttribute("data-max-message"),
               event.target.closest("label") || undefined).setAttribute("role", "alert");
        }
      });
    });
  }

  function start() { relevance(); limits(); checked(); inPlace(); }

  // Back and forward through pages shown in place: load that address afresh from the server,
  // which shows what is stored (and, after the last page, a clean questionnaire).
  window.addEventListener("popstate", function () { location.reload(); });
  start();
})();
