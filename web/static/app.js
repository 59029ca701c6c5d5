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
});
