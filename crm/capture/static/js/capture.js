// Booth capture: keep each entry on the device (IndexedDB), send the queue when online.
// Without this script the form still works as a plain POST.
(function () {
  "use strict";

  var DB_NAME = "crm-capture";
  var STORE = "entries";
  var CACHE = "crm-capture-v1";
  var RETRY_MS = 30000;
  var SKIP = { csrf_token: true, card_photo: true };

  var form = document.getElementById("capture-form");
  if (!form || !window.indexedDB || !window.FormData) {
    return;
  }
  var queueBox = document.getElementById("capture-queue");
  var countLine = document.getElementById("capture-count");
  var statusLine = document.getElementById("capture-status");
  var list = document.getElementById("capture-list");
  var problems = document.getElementById("capture-problems");
  var text = form.dataset;
  var sending = false;

  // crypto.randomUUID needs a secure context; an intranet over plain HTTP has none.
  function newKey() {
    if (window.crypto && crypto.randomUUID) {
      return crypto.randomUUID();
    }
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function openDb() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore(STORE, { keyPath: "capture_key" });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function withStore(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var result = work(tx.objectStore(STORE));
        tx.oncomplete = function () { db.close(); resolve(result && "result" in result ? result.result : undefined); };
        tx.onerror = tx.onabort = function () { db.close(); reject(tx.error); };
      });
    });
  }

  function allEntries() {
    return withStore("readonly", function (store) { return store.getAll(); }).then(function (entries) {
      return (entries || []).sort(function (a, b) { return a.captured_at < b.captured_at ? -1 : 1; });
    });
  }

  function putEntry(entry) { return withStore("readwrite", function (store) { store.put(entry); }); }
  function deleteEntry(key) { return withStore("readwrite", function (store) { store.delete(key); }); }

  function say(message) { statusLine.textContent = message; }

  function render() {
    return allEntries().then(function (entries) {
      var pattern = entries.length === 1 ? text.queueOne : text.queueOther;
      countLine.textContent = pattern.replace("%(num)s", String(entries.length));
      queueBox.hidden = false;
      list.textContent = "";
      entries.forEach(function (entry) {
        var item = document.createElement("li");
        var when = new Date(entry.captured_at);
        item.textContent = entry.fields.company_name + " · " + entry.fields.contact_name + " · " +
          when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
        if (entry.error) {
          var why = document.createElement("p");
          why.className = "error-message";
          why.textContent = text.msgRejected + ": " + entry.error;
          item.appendChild(why);
          var remove = document.createElement("button");
          remove.type = "button";
          remove.className = "button button-secondary";
          remove.textContent = text.msgRemove;
          remove.addEventListener("click", function () {
            deleteEntry(entry.capture_key).then(render);
          });
          item.appendChild(remove);
        }
        list.appendChild(item);
      });
    });
  }

  function label(field) {
    var own = field.id && form.querySelector("label[for='" + field.id + "']");
    if (own) { return own.firstChild.textContent.trim(); }
    var box = field.closest("fieldset");
    return box ? box.querySelector("legend").textContent.trim() : field.name;
  }

  // The same rules the server applies to what cannot wait: else the entry would never be sent.
  function check() {
    var found = [];
    Array.prototype.forEach.call(form.elements, function (field) {
      if (field.required && !field.value.trim() && field.type !== "radio") {
        found.push([field, text.msgRequired]);
      }
    });
    if (!form.elements.email.value.trim() && !form.elements.phone.value.trim()) {
      found.push([form.elements.email, text.msgReach]);
    }
    var photo = form.elements.card_photo.files[0];
    if (photo && (photo.size > 8 * 1024 * 1024 || (photo.type && photo.type.indexOf("image/") !== 0))) {
      found.push([form.elements.card_photo, text.msgPhoto]);
    }
    var items = problems.querySelector("ul");
    items.textContent = "";
    found.forEach(function (problem) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = "#" + problem[0].id;
      link.textContent = label(problem[0]) + ": " + problem[1];
      item.appendChild(link);
      items.appendChild(item);
    });
    problems.hidden = found.length === 0;
    if (found.length) { problems.focus(); }
    return found.length === 0;
  }

  function entryFromForm() {
    var fields = {};
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!field.name || SKIP[field.name] || field.type === "submit") { return; }
      if (field.type === "radio" && !field.checked) { return; }
      fields[field.name] = field.value;
    });
    var photo = form.elements.card_photo.files[0] || null;
    return {
      capture_key: fields.capture_key,
      captured_at: new Date().toISOString(),
      action: form.action,
      fields: fields,
      photo: photo,
      photo_name: photo ? photo.name : null,
      error: null
    };
  }

  function clearForm() {
    var event = form.elements.event_id.value;
    form.reset();
    form.elements.event_id.value = event;
    form.elements.capture_key.value = newKey();
    form.elements.company_name.focus();
  }

  function freshToken() {
    return fetch(text.tokenUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.redirected || !response.ok) { throw new Error("signin"); }
        return response.json();
      })
      .then(function (body) { return body.csrf_token; });
  }

  function sendOne(entry, token) {
    var data = new FormData();
    Object.keys(entry.fields).forEach(function (name) { data.append(name, entry.fields[name]); });
    data.set("capture_key", entry.capture_key);
    data.set("captured_at", entry.captured_at);
    data.set("csrf_token", token);
    if (entry.photo) { data.append("card_photo", entry.photo, entry.photo_name || "card.jpg"); }
    return fetch(entry.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRFToken": token, Accept: "application/json" }
    }).then(function (response) {
      var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
      if (response.ok && json && !response.redirected) {
        // Only the server's answer lets the entry go: until then it stays on the device.
        return deleteEntry(entry.capture_key).then(function () {
          say(text.msgSent.replace("{company}", entry.fields.company_name));
        });
      }
      if (response.status === 422 && json) {
        return response.json().then(function (body) {
          var messages = [];
          Object.keys(body.errors || {}).forEach(function (name) { messages = messages.concat(body.errors[name]); });
          entry.error = messages.join(" ");
          return putEntry(entry);
        });
      }
      if (response.status === 503 && json) {
        // The server cannot store it just now: the entry stays here and goes with the next try.
        return response.json().then(function (body) {
          say(body.message);
          throw new Error("retry");
        });
      }
      throw new Error(response.redirected ? "signin" : "retry");
    });
  }

  function sendQueue() {
    if (sending || !navigator.onLine) { return Promise.resolve(); }
    sending = true;
    return allEntries().then(function (entries) {
      var waiting = entries.filter(function (entry) { return !entry.error; });
      if (!waiting.length) { return null; }
      return freshToken().then(function (token) {
        // One by one, oldest first: a failure stops the run and keeps the rest for later.
        return waiting.reduce(function (chain, entry) {
          return chain.then(function () { return sendOne(entry, token).then(render); });
        }, Promise.resolve());
      });
    }).catch(function (problem) {
      if (problem && problem.message === "signin") { say(text.msgSignin); }
    }).then(function () {
      sending = false;
      return render();
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!check()) { return; }
    putEntry(entryFromForm()).then(function () {
      clearForm();
      say(text.msgSaved);
      return render();
    }).then(sendQueue);
  });

  // The page shell and its files, so that a reload without a connection still opens the form.
  function keepShell() {
    if (!window.caches) { return; }
    var urls = [location.pathname];
    document.querySelectorAll("link[rel='stylesheet'], script[src]").forEach(function (node) {
      urls.push(node.href || node.src);
    });
    caches.open(CACHE).then(function (cache) {
      urls.forEach(function (url) {
        fetch(url, { credentials: "same-origin" }).then(function (response) {
          if (response.ok && !response.redirected) { cache.put(url, response); }
        }).catch(function () {});
      });
    });
  }

  // A page reloaded from the worker's cache carries an old key: every load starts a new one.
  form.elements.capture_key.value = newKey();
  if ("serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.register(text.workerUrl).catch(function () {});
  }
  if (navigator.onLine) { keepShell(); }
  window.addEventListener("online", sendQueue);
  setInterval(sendQueue, RETRY_MS);
  render().then(sendQueue);
})();
