/* Enterprise portal: a "Copy link" button beside the referral link. Without JavaScript the
   button stays hidden and the link is plain text in a read-only field, to select and copy. */
(function () {
  "use strict";
  var buttons = document.querySelectorAll("button[data-copy]");
  Array.prototype.forEach.call(buttons, function (button) {
    var input = document.getElementById(button.getAttribute("data-copy"));
    var status = document.getElementById(button.getAttribute("data-copy") + "-status");
    if (!input) {
      return;
    }
    function done() {
      if (status) {
        status.textContent = button.getAttribute("data-copied");
      }
    }
    function fallback() {
      input.focus();
      input.select();
      try {
        if (document.execCommand("copy")) {
          done();
        }
      } catch (e) {
        /* the text stays selected: the person can copy it themselves */
      }
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      if (status) {
        status.textContent = "";
      }
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(done, fallback);
      } else {
        fallback();
      }
    });
  });
  /* A click in the read-only field selects the whole link. */
  Array.prototype.forEach.call(document.querySelectorAll("input[readonly][id]"), function (input) {
    input.addEventListener("focus", function () {
      input.select();
    });
  });
})();
