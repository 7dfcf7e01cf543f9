// Loads the Dioxus UI (WebAssembly). Kept out of index.html: the CSP allows no
// inline script. If loading fails, say so on screen instead of a blank window.
import init from "./switchboard-ui.js";

function fail(what) {
  const main = document.getElementById("main");
  if (main && !main.firstChild) {
    const p = document.createElement("pre");
    p.className = "load-error";
    p.textContent = "Switchboard could not start its interface:\n" + what;
    main.appendChild(p);
  }
}
window.addEventListener("error", (e) => fail(String(e.message || e)));
window.addEventListener("unhandledrejection", (e) => fail(String(e.reason)));
init({ module_or_path: new URL("switchboard-ui_bg.wasm", import.meta.url) }).catch((e) => fail(String(e)));
