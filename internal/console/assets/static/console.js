// berth console: progressive enhancement only. Every page works without
// this script; it localizes times, filters tables as you type, asks before
// destructive actions, and refreshes live views from the console's JSON
// endpoints (which call the AWS APIs as the signed-in user).
"use strict";
(function () {
  function localizeTimes(root) {
    root.querySelectorAll("time[datetime]").forEach(function (t) {
      var d = new Date(t.getAttribute("datetime"));
      if (isNaN(d)) { return; }
      t.title = t.getAttribute("datetime");
      t.textContent = d.toLocaleString();
    });
  }

  function filterTables() {
    document.querySelectorAll("[data-filter-input]").forEach(function (input) {
      var table = document.querySelector(input.getAttribute("data-filter-input"));
      if (!table) { return; }
      input.addEventListener("input", function () {
        var q = input.value.trim().toLowerCase();
        table.querySelectorAll("tbody tr[data-name]").forEach(function (tr) {
          tr.hidden = q !== "" && tr.getAttribute("data-name").toLowerCase().indexOf(q) < 0;
        });
      });
    });
  }

  function confirmForms() {
    document.querySelectorAll("form[data-confirm]").forEach(function (f) {
      f.addEventListener("submit", function (e) {
        if (!window.confirm(f.getAttribute("data-confirm"))) { e.preventDefault(); }
      });
    });
  }

  // showWhen toggles blocks named data-show-when-NAME="VALUE" with the
  // radio group NAME.
  function showWhen(name) {
    var blocks = document.querySelectorAll("[data-show-when-" + name + "]");
    if (!blocks.length) { return; }
    function update() {
      var checked = document.querySelector("input[name=" + name + "]:checked");
      var v = checked ? checked.value : "";
      blocks.forEach(function (b) { b.hidden = b.getAttribute("data-show-when-" + name) !== v; });
    }
    document.querySelectorAll("input[name=" + name + "]").forEach(function (r) { r.addEventListener("change", update); });
    update();
  }

  function liveViews() {
    document.querySelectorAll("[data-live]").forEach(function (root) {
      var url = root.getAttribute("data-live");
      var kinds = (root.getAttribute("data-live-kinds") || "").split(" ");
      var note = root.querySelector(".live-note");
      function poll() {
        if (document.hidden) { return; }
        fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (data) {
            if (!data) { return; }
            Object.keys(data.fields || {}).forEach(function (k) {
              root.querySelectorAll('[data-field="' + CSS.escape(k) + '"]').forEach(function (el) {
                if (el.textContent !== data.fields[k]) { el.textContent = data.fields[k]; el.classList.add("changed"); }
              });
            });
            var seen = {};
            root.querySelectorAll("[data-row]").forEach(function (el) { seen[el.getAttribute("data-row")] = true; });
            var rows = (data.rows || []).filter(function (r) { return kinds.indexOf(r.split(":")[0]) >= 0; });
            var changed = rows.length !== Object.keys(seen).length || rows.some(function (r) { return !seen[r]; });
            if (note) { note.hidden = !changed; }
          })
          .catch(function () {});
      }
      setInterval(poll, 5000);
    });
    document.querySelectorAll("[data-reload]").forEach(function (a) {
      a.addEventListener("click", function (e) { e.preventDefault(); window.location.reload(); });
    });
  }

  function logTail() {
    var log = document.querySelector("ol[data-tail]");
    if (!log) { return; }
    var paused = false, busy = false;
    var toggle = document.querySelector("[data-tail-toggle]");
    if (toggle) {
      toggle.addEventListener("click", function () {
        paused = !paused;
        toggle.setAttribute("aria-pressed", String(!paused));
        toggle.textContent = paused ? "Resume live tail" : "Pause live tail";
      });
    }
    function poll() {
      if (paused || busy || document.hidden) { return; }
      busy = true;
      var url = log.getAttribute("data-tail") + "&token=" + encodeURIComponent(log.getAttribute("data-next") || "");
      fetch(url, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          var atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 20;
          (data.events || []).forEach(function (ev) {
            var li = document.createElement("li");
            var t = document.createElement("time");
            t.setAttribute("datetime", ev.time);
            li.appendChild(t);
            li.appendChild(document.createTextNode(" "));
            var m = document.createElement("span");
            m.textContent = ev.message;
            li.appendChild(m);
            log.appendChild(li);
          });
          localizeTimes(log);
          if (data.next) { log.setAttribute("data-next", data.next); }
          if (atEnd) { log.scrollTop = log.scrollHeight; }
        })
        .catch(function () {})
        .finally(function () { busy = false; });
    }
    log.scrollTop = log.scrollHeight;
    setInterval(poll, 2000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    localizeTimes(document);
    filterTables();
    confirmForms();
    showWhen("kind");
    showWhen("entity");
    liveViews();
    logTail();
  });
})();
