// Extraction page: accept or reject each highlighted span; the accepted entities'
// draft objects travel to the compose form as JSON. Vanilla JavaScript, no library.
(function () {
  "use strict";
  var form = document.getElementById("accept-form");
  if (!form) { return; }
  var boxes = Array.prototype.slice.call(form.querySelectorAll("input.ent"));
  function sync() {
    var accepted = [];
    boxes.forEach(function (b) {
      var marks = document.querySelectorAll('mark[data-n="' + b.value + '"]');
      marks.forEach(function (m) { m.classList.toggle("off", !b.checked); });
      if (b.checked && b.dataset.object) { accepted.push(JSON.parse(b.dataset.object)); }
    });
    document.getElementById("accepted").value = JSON.stringify(accepted);
  }
  boxes.forEach(function (b) { b.addEventListener("change", sync); });
  form.addEventListener("submit", sync);
  sync();
})();
