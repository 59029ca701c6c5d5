// Progressive help only: every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("button.copy-btn").forEach(function (btn) {
    var input = document.getElementById(btn.dataset.copy);
    if (!input || !navigator.clipboard) return;
    btn.hidden = false;
    var label = btn.textContent;
    btn.addEventListener("click", function () {
      navigator.clipboard.writeText(input.value).then(function () {
        btn.textContent = btn.dataset.done;
        setTimeout(function () { btn.textContent = label; }, 2000);
      }, function () {
        input.select();
      });
    });
  });
  document.querySelectorAll("input.url, textarea[readonly]").forEach(function (el) {
    el.addEventListener("focus", function () { el.select(); });
  });
  // A running import's progress, fetched again and put in place; the
  // page's "update" link does the same without JavaScript.
  var live = document.getElementById("live");
  if (live && live.dataset.live && window.fetch && window.DOMParser) {
    var every = Number(live.dataset.live) * 1000;
    var tick = function () {
      fetch(location.href, { credentials: "same-origin" }).then(function (r) {
        return r.ok ? r.text() : Promise.reject(r.status);
      }).then(function (html) {
        var next = new DOMParser().parseFromString(html, "text/html").getElementById("live");
        if (!next) return;
        live.innerHTML = next.innerHTML;
        if (next.dataset.live) setTimeout(tick, every);
        else delete live.dataset.live;
      }, function () { setTimeout(tick, every * 4); });
    };
    setTimeout(tick, every);
  }
});
