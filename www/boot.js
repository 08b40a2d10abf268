// Runs before the module scripts. If the package cannot be loaded (not built, or its wasm fails to start),
// app.js never runs; say so on the page instead of leaving "Loading…" forever.
"use strict";
window.addEventListener(
  "error",
  function (event) {
    if (window.demoStarted) return;
    var status = document.getElementById("status");
    if (!status) return;
    // A script that failed to download fires a plain Event at its element (seen here in the capture phase);
    // an exception while evaluating (e.g. the wasm failing to start) fires an ErrorEvent with a message.
    var what = event.message || "a script failed to load";
    status.textContent = "The package could not be loaded (" + what + "). Was it built with scripts/build.sh?";
    status.className = "status status-error";
  },
  true,
);
