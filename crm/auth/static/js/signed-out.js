/* On the sign-in page: the booth capture page kept for offline use shows who was signed in, so
   it goes when they sign out. Entries waiting to be sent are in IndexedDB and stay. */
(function () {
  "use strict";
  if (window.caches) {
    window.caches.delete("crm-capture-v1");
  }
})();
