// cronwright dashboard: live refresh of the regions marked data-live, and the schedule form's
// preview as you type. Served by the package itself (script-src 'self'); pages work without it.
(function () {
  "use strict";
  var PERIOD_MS = 5000;
  var KEY = "cronwright.live.paused";

  function regions(root) {
    return Array.prototype.slice.call(root.querySelectorAll("[data-live]"));
  }

  function startLive() {
    var mine = regions(document);
    var toggle = document.querySelector(".live-toggle");
    var status = document.querySelector(".live-status");
    if (!mine.length || !toggle) return;
    var paused = window.localStorage.getItem(KEY) === "1";
    var busy = false;

    function show() {
      toggle.hidden = false;
      toggle.textContent = paused ? "Resume live updates" : "Pause live updates";
      toggle.setAttribute("aria-pressed", paused ? "true" : "false");
      if (paused) status.textContent = "Live updates paused.";
    }

    function refresh() {
      if (paused || busy || document.visibilityState !== "visible") return;
      busy = true;
      fetch(window.location.href, { credentials: "same-origin", headers: { "X-Live": "1" } })
        .then(function (response) {
          if (!response.ok || response.redirected) throw new Error(String(response.status));
          return response.text();
        })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html");
          regions(fresh).forEach(function (region) {
            var name = region.getAttribute("data-live");
            var current = document.querySelector('[data-live="' + name + '"]');
            // Never pull the page from under the keyboard: skip a region holding the focus.
            if (current && !current.contains(document.activeElement)) {
              current.innerHTML = region.innerHTML;
            }
          });
          status.textContent = "Updated " + new Date().toLocaleTimeString() + ".";
        })
        .catch(function () {
          status.textContent = "Live update failed; retrying.";
        })
        .then(function () {
          busy = false;
        });
    }

    toggle.addEventListener("click", function () {
      paused = !paused;
      window.localStorage.setItem(KEY, paused ? "1" : "0");
      show();
      if (!paused) refresh();
    });
    show();
    window.setInterval(refresh, PERIOD_MS);
  }

  function startPreview() {
    var form = document.querySelector("form[data-preview]");
    if (!form) return;
    var timer = null;
    var names = ["cron", "timezone", "dst_gap", "dst_fold"];

    function update() {
      var params = new URLSearchParams();
      names.forEach(function (name) {
        var field = form.elements.namedItem(name);
        if (field) params.set(name, field.value);
      });
      fetch(form.getAttribute("data-preview") + "?" + params.toString(), {
        credentials: "same-origin",
      })
        .then(function (response) {
          return response.ok ? response.text() : null;
        })
        .then(function (html) {
          if (html === null) return;
          var fresh = new DOMParser().parseFromString(html, "text/html");
          var panel = fresh.getElementById("preview-panel");
          var current = document.getElementById("preview-panel");
          if (panel && current) current.innerHTML = panel.innerHTML;
        });
    }

    names.forEach(function (name) {
      var field = form.elements.namedItem(name);
      if (!field) return;
      field.addEventListener("input", function () {
        window.clearTimeout(timer);
        timer = window.setTimeout(update, 400);
      });
    });
  }

  startLive();
  startPreview();
  // Listeners are in place: what a test (or a curious person) can wait for.
  document.documentElement.setAttribute("data-script", "ready");
})();
