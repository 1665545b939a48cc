// The import job page follows its job every half second (/import/job/ID.json) instead of
// reloading every 2 s: a scan's pages spread over several workers come back within a
// second of each other, and a whole-page reload would show none of them. New file
// outcomes reload the page (its table is rendered on the server); the end of the job
// opens the run's report. Without scripts the page still reloads itself (noscript).
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box || ["queued", "running"].indexOf(box.dataset.state) < 0) { return; }
  var id = box.dataset.job, shownState = box.dataset.state;
  var shownDone = document.querySelectorAll("#outcomes tr").length;
  function set(elementId, value) {
    var el = document.getElementById(elementId);
    if (el && value !== null && value !== undefined) { el.textContent = value; }
  }
  function tick() {
    fetch("/import/job/" + id + ".json", {credentials: "same-origin", cache: "no-store"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (job) {
        if (!job) { setTimeout(tick, 2000); return; }
        if (job.state === "done" && job.run_id !== null) {
          location.href = "/import/run/" + job.run_id + "?job=" + id;
          return;
        }
        if (job.state !== shownState || job.outcomes.length !== shownDone) {
          location.reload();
          return;
        }
        set("done", job.done); set("failed", job.failed);
        set("pages-done", job.pages_done); set("pages-total", job.pages_total);
        set("eta", job.eta);
        var bar = box.querySelector("progress");
        if (bar) {
          bar.max = job.pages_total || job.total || 1;
          bar.value = job.pages_total ? job.pages_done : job.done;
        }
        setTimeout(tick, 500);
      })
      .catch(function () { setTimeout(tick, 2000); });
  }
  setTimeout(tick, 500);
})();
