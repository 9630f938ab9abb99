// Tutorwatch console: live rows on the feed (from the server-sent findings stream) and loading a
// schedule file into the portal's form. Embedded in the binary; no build step.
(function () {
  "use strict";
  var table = document.getElementById("feed");
  var live = document.getElementById("live");
  if (table && table.dataset.stream && window.EventSource) {
    var fresh = 0;
    var count = document.getElementById("new-count");
    var source = null;
    var loadRow = function (id, replace) {
      return fetch("/console/rows/" + encodeURIComponent(id), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (!html) { return; }
          var old = table.querySelector('tr[data-id="' + id + '"]');
          if (old && replace) { old.outerHTML = html; return; }
          if (old) { return; }
          var empty = table.querySelector("tr.empty");
          if (empty) { empty.remove(); }
          table.tBodies[0].insertAdjacentHTML("afterbegin", html);
          fresh += 1;
          count.hidden = false;
          count.textContent = count.dataset.label.replace("{n}", String(fresh));
        });
    };
    var connect = function () {
      source = new EventSource(table.dataset.stream);
      source.addEventListener("open", function () {
        live.dataset.state = "on";
        live.textContent = live.dataset.on;
      });
      source.addEventListener("error", function () {
        live.dataset.state = "off";
        live.textContent = live.dataset.off;
        // A refused stream (too many open, say) is not retried by the browser: retry here.
        if (source.readyState === EventSource.CLOSED) { setTimeout(connect, 2000); }
      });
      source.addEventListener("finding", function (event) {
        loadRow(JSON.parse(event.data).id, false);
      });
      source.addEventListener("finding_updated", function (event) {
        var id = JSON.parse(event.data).id;
        if (table.querySelector('tr[data-id="' + id + '"]')) { loadRow(id, true); }
      });
    };
    window.addEventListener("pagehide", function () { if (source) { source.close(); } });
    connect();
  }
  var file = document.getElementById("schedule-file");
  if (file) {
    file.addEventListener("change", function () {
      var chosen = file.files && file.files[0];
      if (chosen) {
        chosen.text().then(function (text) { document.getElementById("schedule").value = text; });
      }
    });
  }
})();
