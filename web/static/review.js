// 待核 by keyboard: j/n next item, k/p previous, 1-5 choose a candidate, a accept, r settle.
// The page comes back (after a decision or a refused value) at the item it left ("at").
(function () {
  "use strict";
  var items = Array.prototype.slice.call(document.querySelectorAll("section.item"));
  if (!items.length) { return; }
  var current = 0;
  function show(i) {
    if (i < 0 || i >= items.length) { return; }
    items[current].classList.remove("current");
    current = i;
    items[i].classList.add("current");
    items[i].scrollIntoView({block: "start"});
    items[i].focus({preventScroll: true});
  }
  var at = new URLSearchParams(location.search).get("at");
  var start = 0;
  if (at) {
    items.forEach(function (el, k) { if (Number(el.dataset.at) <= Number(at)) { start = k; } });
  }
  show(start);
  if (!at) { window.scrollTo(0, 0); }
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (e.ctrlKey || e.metaKey || e.altKey) { return; }
    if (t && (t.tagName === "INPUT" && t.type !== "radio" || t.tagName === "TEXTAREA" || t.tagName === "SELECT")) { return; }
    var item = items[current];
    var form = item.querySelector("form.resolve");
    var key = e.key.toLowerCase();
    if (key === "j" || key === "n") { show(current + 1); }
    else if (key === "k" || key === "p") { show(current - 1); }
    else if (key >= "1" && key <= "9") {
      var radio = item.querySelectorAll("input[type=radio]")[Number(key) - 1];
      if (radio) { radio.checked = true; radio.focus(); }
    } else if (key === "a") {
      var accept = form.querySelector("button.accept");
      var chosen = form.querySelector("input[type=radio]:checked");
      var typed = form.querySelector("input.value");
      if (!accept) { return; }
      if (!chosen && !(typed && typed.value.trim())) {
        var hint = item.querySelector(".choose") || form;
        hint.classList.add("flash", "err");
        (typed || form).focus();
      } else { accept.click(); }
    } else if (key === "r") {
      form.querySelector("button.settle").click();
    } else { return; }
    e.preventDefault();
  });
})();
