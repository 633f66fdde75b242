// Pages about something still running carry data-live="<seconds>": reload them that often,
// keeping the scroll position (a log page follows its end if it was at the end).
(function () {
  var seconds = Number(document.body.dataset.live || 0);
  var key = "mlci-scroll:" + location.pathname;
  var saved = sessionStorage.getItem(key);
  if (saved !== null) {
    window.scrollTo(0, saved === "end" ? document.body.scrollHeight : Number(saved));
    sessionStorage.removeItem(key);
  }
  if (!seconds) return;
  setTimeout(function () {
    var atEnd = window.innerHeight + window.scrollY >= document.body.scrollHeight - 40;
    sessionStorage.setItem(key, atEnd ? "end" : String(window.scrollY));
    location.reload();
  }, seconds * 1000);
})();
