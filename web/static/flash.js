// After a form comes back with a message, show the message where the form was, not the
// top of the page (the review page then moves on to its item: review.js).
(function () {
  "use strict";
  var flash = document.querySelector(".flash");
  if (flash && /[?&](done|error)=/.test(location.search)) {
    flash.scrollIntoView({block: "center"});
  }
})();
