// The composer: a file over the size limit is refused in the browser, before the letter is
// sent: the server would refuse it too (or answer 413 for the whole request), and the page
// htmx swaps in its place would lose what the officer typed. The server's checks stay the rule.
(function () {
  "use strict";

  function check(input) {
    var note = document.getElementById("attachments-too-big");
    if (!note) { return; }
    var limit = Number(note.getAttribute("data-limit"));
    var tooBig = Array.prototype.filter.call(input.files || [], function (file) {
      return file.size > limit;
    });
    if (tooBig.length) {
      note.textContent = tooBig.map(function (file) {
        return note.getAttribute("data-message").replace("{name}", file.name);
      }).join(" ");
      note.hidden = false;
      input.value = "";
    } else {
      note.hidden = true;
      note.textContent = "";
    }
  }

  document.addEventListener("change", function (event) {
    if (event.target && event.target.id === "attachments") { check(event.target); }
  });
}());
