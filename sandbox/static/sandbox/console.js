// Refreshes the "Latest syncs" table every two seconds, so each webhook's sync shows as it lands.
(function () {
  const box = document.getElementById("console-syncs");
  if (!box) return;
  setInterval(async function () {
    try {
      const answer = await fetch(box.dataset.poll, { credentials: "same-origin" });
      if (answer.ok) box.innerHTML = await answer.text();
    } catch (e) { /* the next tick tries again */ }
  }, 2000);
})();
