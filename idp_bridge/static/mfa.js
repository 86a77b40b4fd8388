// Copy button of the recovery-codes page (no inline script: the CSP allows only scripts from the bridge itself).
document.addEventListener("DOMContentLoaded", function () {
  var button = document.getElementById("copy-codes");
  if (!button || !navigator.clipboard) { return; }
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(button.dataset.copy).then(function () { button.textContent = "Copied"; });
  });
});
