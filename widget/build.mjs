// Builds widget/dist/clinic-chat.js: socket.io-client (from npm) + the widget's CSS and script in
// one self-contained file, so a page embeds the widget with a single script tag and no CDN.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const socketIoDir = join(here, "..", "node_modules", "socket.io-client");
const socketIoPackage = JSON.parse(readFileSync(join(socketIoDir, "package.json"), "utf8"));
const socketIo = readFileSync(join(socketIoDir, "dist", "socket.io.min.js"), "utf8")
  .replace(/\/\/# sourceMappingURL=.*$/m, "");
const css = readFileSync(join(here, "src", "widget.css"), "utf8");
const widget = readFileSync(join(here, "src", "widget.js"), "utf8");
if (!widget.includes('"__WIDGET_CSS__"')) throw new Error("widget.js lost its __WIDGET_CSS__ placeholder");

const bundle = [
  `/*! Clinic chat widget, built ${new Date().toISOString().slice(0, 10)}; ` +
    `includes socket.io-client ${socketIoPackage.version} (MIT License). */`,
  "(function () {",
  // socket.io's UMD wrapper takes the CommonJS branch here, so the page's own `io` is untouched.
  "var module = { exports: {} }; var exports = module.exports;",
  socketIo,
  "var io = module.exports;",
  widget.replace('"__WIDGET_CSS__"', () => JSON.stringify(css)),
  "})();",
  "",
].join("\n");

mkdirSync(join(here, "dist"), { recursive: true });
writeFileSync(join(here, "dist", "clinic-chat.js"), bundle);
console.log(`widget/dist/clinic-chat.js: ${(bundle.length / 1024).toFixed(1)} kB`);
