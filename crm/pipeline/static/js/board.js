/* Pipeline board: drag and drop and in-page moves on top of the "Move to stage" forms.
   Without this script every form still works with a normal page load. */
(function () {
  "use strict";

  var board = document.querySelector(".board");
  if (!board || !window.fetch || !window.FormData) {
    return;
  }
  var status = document.getElementById("board-status");
  var tokenMeta = document.querySelector('meta[name="csrf-token"]');
  var fallbackMessage = board.getAttribute("data-refused-message") || "";

  function announce(message) {
    // Emptied first so the same sentence twice in a row is read out twice.
    status.textContent = "";
    window.setTimeout(function () { status.textContent = message; }, 50);
  }

  // A refused move is shown on its card for everyone, not only read out: the sentence says why.
  function showRefusal(form, message) {
    var card = form.closest(".board-card");
    var note = card.querySelector(".card-refusal");
    if (!note) {
      note = document.createElement("p");
      note.className = "card-refusal";
      card.appendChild(note);
    }
    note.textContent = message;
    card.classList.add("card-refused");
  }

  function clearRefusal(form) {
    var card = form.closest(".board-card");
    var note = card.querySelector(".card-refusal");
    if (note) { note.parentNode.removeChild(note); }
    card.classList.remove("card-refused");
  }

  function updateColumns(columns) {
    Object.keys(columns || {}).forEach(function (stage) {
      var count = board.querySelector('[data-column-count="' + stage + '"]');
      var total = board.querySelector('[data-column-total="' + stage + '"]');
      if (count) { count.textContent = columns[stage].count_text; }
      if (total) {
        total.textContent = columns[stage].total_text;
        total.title = columns[stage].total_exact;
      }
    });
  }

  // A lost lead needs a reason: the move page asks for it (and works without this script).
  function askForLostReason(form) {
    var next = form.querySelector('input[name="next"]').value;
    window.location.href = form.action + "?stage=lost&next=" + encodeURIComponent(next);
  }

  function placeCard(card, stage) {
    var list = board.querySelector('.board-cards[data-stage="' + stage + '"]');
    if (list && card.parentNode !== list) {
      list.insertBefore(card, list.firstChild);
    }
  }

  // Sends the card's form; resolves true when the lead moved. Network trouble: a plain submit.
  function move(form) {
    var headers = { "Accept": "application/json" };
    if (tokenMeta) { headers["X-CSRFToken"] = tokenMeta.content; }
    return fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: headers,
      credentials: "same-origin"
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") === -1) {
        announce(fallbackMessage);
        showRefusal(form, fallbackMessage);
        return false;
      }
      return response.json().then(function (data) {
        announce(data.message);
        if (!data.ok) {
          if (data.field === "lost_reason") {
            askForLostReason(form);
          } else if (data.field === "signing" && data.url) {
            // Signing asks for the contract on its own page (as it does without this script).
            window.location.href = data.url;
          } else {
            showRefusal(form, data.message);
          }
          return false;
        }
        clearRefusal(form);
        form.querySelector('input[name="version"]').value = data.version;
        var card = form.closest(".board-card");
        placeCard(card, data.stage);
        var days = card.querySelector("[data-in-stage]");
        if (days) { days.textContent = data.in_stage; }
        updateColumns(data.columns);
        return true;
      });
    }, function () {
      form.submit();
      return false;
    });
  }

  board.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList.contains("move-form")) { return; }
    event.preventDefault();
    var select = form.querySelector('select[name="stage"]');
    move(form).then(function (moved) {
      if (moved) { select.focus(); }
    });
  });
  // Moves happen in place from here on (before this, a move is a normal page load).
  board.setAttribute("data-in-place", "");

  if (!window.Sortable) { return; }
  board.querySelectorAll(".board-cards").forEach(function (list) {
    window.Sortable.create(list, {
      group: "board",
      draggable: ".card-movable",
      filter: "input, select, textarea, button, summary, label, a",
      preventOnFilter: false,
      onEnd: function (event) {
        if (event.from === event.to) { return; }
        var card = event.item;
        var form = card.querySelector(".move-form");
        var stage = event.to.getAttribute("data-stage");
        var backToStart = function () {
          event.from.insertBefore(card, event.from.children[event.oldIndex] || null);
        };
        form.querySelector('select[name="stage"]').value = stage;
        if (stage === "lost") {
          backToStart();
          askForLostReason(form);
          return;
        }
        move(form).then(function (moved) {
          if (!moved) { backToStart(); }
        });
      }
    });
  });
})();
