// driftless dashboard: keeps the page's live part (<main id="live">) current by
// fetching the same page again every few seconds (same origin only), and narrows
// the targets table as one types in the search box. The pages work without it.
"use strict";

(function () {
  var PERIOD_MS = 3000;
  var note = document.getElementById("live-note");

  function say(text) {
    if (note) note.textContent = text;
  }

  function narrow() {
    var q = document.getElementById("q");
    var table = document.getElementById("targets");
    if (!q || !table) return;
    var text = q.value.trim().toLowerCase();
    var rows = table.tBodies[0] ? table.tBodies[0].rows : [];
    var shown = 0;
    for (var i = 0; i < rows.length; i++) {
      var hay = rows[i].getAttribute("data-search") || "";
      var visible = text === "" || hay.indexOf(text) !== -1;
      rows[i].hidden = !visible;
      if (visible) shown++;
    }
    var count = document.getElementById("count");
    if (count && text !== "") count.textContent = shown + " listed match \u201c" + q.value.trim() + "\u201d";
  }

  function focusInside(el) {
    var active = document.activeElement;
    return active && active !== document.body && el.contains(active) && active !== el;
  }

  function refresh() {
    var live = document.getElementById("live");
    if (!live || document.hidden) return;
    fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (response.status === 401) {
          say("Signed out: reload to sign in again.");
          return null;
        }
        if (response.status === 429) {
          say("Held back after too many wrong tokens: retrying.");
          return null;
        }
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (text) {
        if (text === null) return;
        var next = new DOMParser().parseFromString(text, "text/html").getElementById("live");
        if (!next) return;
        if (focusInside(live)) {
          say("Live: paused while you are in the page (press Escape to resume).");
          return;
        }
        if (next.innerHTML !== live.innerHTML) {
          live.innerHTML = next.innerHTML;
          var q = document.getElementById("q");
          if (q) q.addEventListener("input", narrow);
          narrow();
        }
        say("Live: updated " + new Date().toLocaleTimeString());
      })
      .catch(function () {
        say("Live updates stopped: the controller did not answer; retrying.");
      });
  }

  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && document.activeElement && document.activeElement.blur) {
      document.activeElement.blur();
    }
  });
  var q = document.getElementById("q");
  if (q) q.addEventListener("input", narrow);
  say("Live");
  window.setInterval(refresh, PERIOD_MS);
})();
