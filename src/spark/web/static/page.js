// Small behaviours shared by SPARK's pages (no inline scripts: the CSP forbids them).
// Copy buttons: <button data-copy="ID"> copies the code inside #ID (its highlighted lines, not
// the line numbers), or the element's text, and says so.
"use strict";

(() => {
  async function copyText(button, source) {
    const code = source.querySelector("td.code") || source;
    const text = code.innerText.replace(/\n$/, "");
    const label = button.textContent;
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = "Copied";
    } catch {
      const range = document.createRange();
      range.selectNodeContents(code);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      button.textContent = "Selected: press Ctrl+C";
    }
    setTimeout(() => { button.textContent = label; }, 2000);
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-copy]");
    if (!button) return;
    const source = document.getElementById(button.dataset.copy);
    if (source) copyText(button, source);
  });
})();
