// A clause page opens at its clause (the neighbours above it stay one scroll away).
(function () {
  "use strict";
  var target = document.querySelector("section.clause.target");
  if (target && !location.hash) { target.scrollIntoView({block: "center"}); }
})();
