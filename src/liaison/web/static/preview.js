// Live release preview for the compose form: posts the form to the preview endpoint
// and lists, for each partner, whether the report would be released and why.
// Vanilla JavaScript served from /ui/static: no library, no CDN, no build step.
(function () {
  "use strict";
  var form = document.getElementById("compose");
  if (!form) { return; }
  var list = document.getElementById("preview");
  var banner = document.getElementById("preview-banner");
  var timer = null;
  var seq = 0;

  function render(data) {
    list.textContent = "";
    banner.textContent = data.banner.text;
    banner.className = "banner banner-" + data.banner.level;
    if (!data.recipients.length) {
      var none = document.createElement("li");
      none.textContent = list.dataset.none;
      list.appendChild(none);
    }
    data.recipients.forEach(function (r) {
      var li = document.createElement("li");
      li.className = r.allow ? "allow" : "deny";
      li.dataset.party = r.party;
      var head = document.createElement("span");
      head.className = "verdict";
      head.textContent = r.party + " — " + (r.allow ? list.dataset.allow : list.dataset.deny);
      li.appendChild(head);
      if (r.reasons.length) {
        var why = document.createElement("div");
        why.className = "reasons";
        why.textContent = r.reasons.join("; ");
        li.appendChild(why);
      }
      list.appendChild(li);
    });
    list.dataset.state = "ready";
  }

  function refresh() {
    var mine = ++seq;
    var body = new URLSearchParams(new FormData(form));
    if (!body.get("name")) { body.set("name", "-"); }
    fetch(form.dataset.preview, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRF-Token": body.get("csrf") }
    }).then(function (resp) {
      return resp.json().then(function (data) { return { ok: resp.ok, data: data }; });
    }).then(function (r) {
      if (mine !== seq) { return; }
      if (r.ok) { render(r.data); } else {
        list.textContent = "";
        var li = document.createElement("li");
        li.className = "deny";
        li.textContent = r.data.error;
        list.appendChild(li);
        list.dataset.state = "error";
      }
    });
  }

  function later() {
    list.dataset.state = "pending";
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(refresh, 200);
  }
  form.addEventListener("input", later);
  form.addEventListener("change", later);
  refresh();
})();
