/*
 * The clinic chat widget: a launcher button and a chat panel talking to the assistant over
 * Socket.IO. Embed with an optional config object and one script tag:
 *
 *   <script>window.ClinicChatConfig = { serverUrl: "https://assistant.example.org" };</script>
 *   <script src="https://assistant.example.org/webhooks/socketio/widget.js" defer></script>
 *
 * Bot text is always rendered as text (never HTML). The conversation lives in sessionStorage,
 * which the browser drops when the tab closes: it may hold health information.
 * `io` (socket.io-client) is provided by the bundle this file is built into.
 */
/* global io */
(function () {
  "use strict";

  var MAX_MESSAGE_LENGTH = 2000;
  var MAX_HISTORY = 200;
  var ANSWER_TIMEOUT_MS = 20000;
  var LINKABLE_PROTOCOLS = ["http:", "https:", "tel:", "mailto:", "sms:"];
  // URLs, e-mail addresses and US-style phone numbers become links; so do the numbers the server
  // names (`phone_links`: the crisis lines of the clinic's country and the clinic's phone).
  var FIXED_LINKS = [
    /(https?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)])/.source,
    /([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})/.source,
    /(\(?\b\d{3}\)?[ .-]?\d{3}[ .-]\d{4}\b)/.source,
  ];
  var namedLinks = {};
  var LINK_PATTERN = linkPattern([]);

  function escapeRegExp(text) {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }

  /** The named numbers come first, longest first, so a number wins over a shorter one inside it. */
  function linkPattern(named) {
    var texts = named.map(function (link) { return link.text; })
      .sort(function (a, b) { return b.length - a.length; }).map(escapeRegExp);
    // An empty group that never matches keeps the fixed links' group numbers.
    var namedSource = texts.length ? "(?<![\\w-])(" + texts.join("|") + ")(?![\\w-])" : "(\\b\\B)";
    return new RegExp([namedSource].concat(FIXED_LINKS).join("|"), "g");
  }

  function setNamedLinks(links) {
    namedLinks = {};
    var valid = (Array.isArray(links) ? links : []).filter(function (link) {
      return link && typeof link.text === "string" && link.text && typeof link.href === "string";
    });
    valid.forEach(function (link) { namedLinks[link.text] = link.href; });
    LINK_PATTERN = linkPattern(valid);
  }
  var CHAT_ICON = "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z";

  var script = document.currentScript;
  var userConfig = window.ClinicChatConfig || {};
  var serverUrl = (userConfig.serverUrl || (script && new URL(script.src).origin) || window.location.origin)
    .replace(/\/+$/, "");
  var config = {
    serverUrl: serverUrl,
    socketPath: userConfig.socketPath || "/socket.io",
    title: userConfig.title || "",
    colours: userConfig.colours || {},
    initPayload: userConfig.initPayload === undefined ? "/greet" : userConfig.initPayload,
  };
  var storageKey = "clinic-chat:" + config.serverUrl;

  // ---- persisted state -------------------------------------------------------------------
  function newSessionId() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID().replace(/-/g, "");
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function freshState() {
    return { sessionId: newSessionId(), history: [], pending: [], open: false, started: false };
  }

  // A request's reference as the assistant gives it ("BK-7KQ2-M9XD"): kept over a clear.
  var REFERENCE = /\b(?:BK|CB|CH|CX)-[A-Z2-9]{4}-[A-Z2-9]{4}\b/g;

  function referencesIn(history) {
    var found = [];
    history.forEach(function (entry) {
      (entry.from === "bot" && entry.text ? entry.text.match(REFERENCE) || [] : []).forEach(function (reference) {
        if (found.indexOf(reference) < 0) found.push(reference);
      });
    });
    return found;
  }

  function loadState() {
    try {
      var saved = JSON.parse(window.sessionStorage.getItem(storageKey) || "null");
      if (saved && typeof saved.sessionId === "string" && Array.isArray(saved.history)) {
        saved.pending = Array.isArray(saved.pending) ? saved.pending : [];
        return saved;
      }
    } catch (error) { /* unreadable or blocked storage: start afresh */ }
    return freshState();
  }

  var state = loadState();

  // The input fits what a form's question asks for (the bot message's `input`); any other bot
  // message puts back the question box.
  var QUESTION_INPUT = { placeholder: "Type your question", autocomplete: "off", inputmode: "text" };
  var FORM_INPUTS = {
    name: { placeholder: "Your full name", autocomplete: "name", inputmode: "text" },
    contact: { placeholder: "Phone number or e-mail address", autocomplete: "on", inputmode: "email" },
    time: { placeholder: "A day and time, e.g. next Tuesday afternoon", autocomplete: "off", inputmode: "text" },
    reason: { placeholder: "What you would like help with, or skip", autocomplete: "off", inputmode: "text" },
    insurance: { placeholder: "Your insurer, or skip", autocomplete: "off", inputmode: "text" },
    message: { placeholder: "Your message for the team", autocomplete: "off", inputmode: "text" },
    choice: { placeholder: "Yes or no", autocomplete: "off", inputmode: "text" },
  };

  function saveState() {
    state.history = state.history.slice(-MAX_HISTORY);
    try {
      window.sessionStorage.setItem(storageKey, JSON.stringify(state));
    } catch (error) { /* storage full or blocked: the conversation still works in this page */ }
  }

  // ---- DOM helpers -----------------------------------------------------------------------
  function el(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      if (name === "text") node.textContent = attributes[name];
      else if (name === "hidden") node.hidden = attributes[name];
      else node.setAttribute(name, attributes[name]);
    });
    (children || []).forEach(function (child) { node.appendChild(child); });
    return node;
  }

  function safeHref(candidate) {
    try {
      var url = new URL(candidate);
      return LINKABLE_PROTOCOLS.indexOf(url.protocol) >= 0 ? url.href : null;
    } catch (error) {
      return null;
    }
  }

  function hrefFor(match) {
    if (match[1]) return safeHref(namedLinks[match[1]] || "");
    if (match[2]) return safeHref(match[2]);
    if (match[3]) return safeHref("mailto:" + match[3]);
    var digits = match[0].replace(/\D/g, "");
    return safeHref("tel:" + (digits.length === 10 ? "+1" + digits : digits));
  }

  /** Text as DOM nodes: plain text nodes, with links only for http(s), tel: and mailto:. */
  function linkified(text) {
    var fragment = document.createDocumentFragment();
    var last = 0;
    var match;
    LINK_PATTERN.lastIndex = 0;
    while ((match = LINK_PATTERN.exec(text)) !== null) {
      var href = hrefFor(match);
      if (!href) continue;
      fragment.appendChild(document.createTextNode(text.slice(last, match.index)));
      var link = el("a", { href: href, text: match[0] });
      if (/^https?:/.test(href)) {
        link.target = "_blank";
        link.rel = "noopener noreferrer";
      }
      fragment.appendChild(link);
      last = match.index + match[0].length;
    }
    fragment.appendChild(document.createTextNode(text.slice(last)));
    return fragment;
  }

  // ---- the widget ------------------------------------------------------------------------
  var style = el("style", { "data-clinic-chat": "" });
  style.textContent = "__WIDGET_CSS__";
  document.head.appendChild(style);

  var launcherLabel = el("span", { text: "Chat with us" });
  var launcher = el("button", {
    type: "button", class: "cc-launcher", "aria-expanded": "false", "aria-controls": "cc-panel",
  }, [svgIcon(), launcherLabel]);
  var title = el("h2", { id: "cc-title", class: "cc-title", text: "Chat with us" });
  var clearButton = el("button", {
    type: "button", class: "cc-clear", "aria-label": "Clear conversation", title: "Clear conversation", text: "Clear",
  });
  var closeButton = el("button", { type: "button", class: "cc-close", "aria-label": "Close chat", text: "\u00d7" });
  // Clearing asks first: one stray tap must not lose a conversation or its reference.
  var confirmClear = el("button", { type: "button", class: "cc-confirm-yes", text: "Clear it" });
  var keepConversation = el("button", { type: "button", class: "cc-confirm-no", text: "Keep it" });
  var clearQuestion = el("div", {
    class: "cc-confirm", role: "group", "aria-labelledby": "cc-confirm-text", hidden: true,
  }, [el("p", { id: "cc-confirm-text", text: "Start a new conversation? This one will be removed from this tab." }),
    confirmClear, keepConversation]);
  var status = el("p", { class: "cc-status", role: "status", hidden: true });
  var log = el("div", {
    class: "cc-log", role: "log", "aria-live": "polite", "aria-label": "Conversation", tabindex: "0",
  });
  var typing = el("div", { class: "cc-typing", hidden: true }, [
    el("span", { class: "cc-dots", "aria-hidden": "true" }, [el("span"), el("span"), el("span")]),
    el("span", { text: "The assistant is typing" }),
  ]);
  var input = el("input", {
    id: "cc-input", class: "cc-input", type: "text", autocomplete: "off",
    maxlength: String(MAX_MESSAGE_LENGTH), placeholder: "Type your question",
  });
  var sendButton = el("button", { type: "submit", class: "cc-send", text: "Send" });
  var form = el("form", { class: "cc-form" }, [
    el("label", { for: "cc-input", class: "cc-sr", text: "Your message" }), input, sendButton,
  ]);
  var note = el("p", {
    class: "cc-note",
    text: safetyNote("In an emergency call your local emergency number."),
  });

  function safetyNote(emergency) {
    return "General information, not medical advice. " + emergency
      + " For your privacy this chat is kept in this browser tab only.";
  }
  var panel = el("section", {
    id: "cc-panel", class: "cc-panel", role: "dialog", "aria-labelledby": "cc-title", hidden: true,
  }, [el("div", { class: "cc-header" }, [title, clearButton, closeButton]), clearQuestion, status, log, typing, form,
    note]);
  var root = el("div", { class: "cc-root", "data-open": "false" }, [launcher, panel]);

  function svgIcon() {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", CHAT_ICON);
    svg.appendChild(path);
    return svg;
  }

  function applyBranding(branding) {
    var name = config.title || (branding && branding.clinic_name) || "";
    if (name) {
      title.textContent = name;
      launcherLabel.textContent = "Chat with us";
      launcher.setAttribute("aria-label", "Open chat with " + name);
    }
    var colours = Object.assign({}, branding && branding.colours, config.colours);
    if (colours.primary) root.style.setProperty("--cc-primary", colours.primary);
    if (colours.on_primary) root.style.setProperty("--cc-on-primary", colours.on_primary);
    if (branding && typeof branding.safety_note === "string") note.textContent = safetyNote(branding.safety_note);
    if (branding && Array.isArray(branding.phone_links)) {
      setNamedLinks(branding.phone_links);
      renderHistory(); // answers shown before the branding arrived get their links
    }
  }

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  function fitInput(kind) {
    var fit = FORM_INPUTS[kind] || QUESTION_INPUT;
    input.setAttribute("placeholder", fit.placeholder);
    input.setAttribute("autocomplete", fit.autocomplete);
    input.setAttribute("inputmode", fit.inputmode);
    input.setAttribute("data-asks", FORM_INPUTS[kind] ? kind : "question");
  }

  function removeQuickReplies() {
    Array.prototype.forEach.call(log.querySelectorAll(".cc-replies"), function (group) {
      group.parentNode.removeChild(group);
    });
    state.history.forEach(function (entry) { delete entry.replies; });
  }

  function renderEntry(entry) {
    var bubble = el("div", { class: "cc-msg cc-" + entry.from + (entry.pending ? " cc-pending" : "") });
    if (entry.from === "user") {
      bubble.appendChild(el("span", { class: "cc-sr", text: "You said:" }));
    }
    if (entry.text) {
      var paragraph = el("p");
      paragraph.appendChild(entry.from === "bot" ? linkified(entry.text) : document.createTextNode(entry.text));
      bubble.appendChild(paragraph);
    }
    if (entry.image) {
      var src = safeHref(entry.image);
      if (src && /^https?:/.test(src)) bubble.appendChild(el("img", { src: src, alt: "Image sent by the assistant" }));
    }
    if (entry.pending) {
      bubble.appendChild(el("span", { class: "cc-pending-note", text: "Not sent yet, waiting for the connection" }));
    }
    if (entry.replies && entry.replies.length) {
      var group = el("div", { class: "cc-replies", role: "group", "aria-label": "Suggested replies" });
      entry.replies.forEach(function (reply) {
        var button = el("button", { type: "button", text: reply.title });
        button.addEventListener("click", function () {
          sendMessage(reply.payload, reply.title);
          input.focus(); // the clicked button is gone with the answered quick replies
        });
        group.appendChild(button);
      });
      bubble.appendChild(group);
    }
    log.appendChild(bubble);
    scrollToEnd();
    return bubble;
  }

  function addEntry(entry) {
    state.history.push(entry);
    saveState();
    return renderEntry(entry);
  }

  function renderHistory() {
    log.textContent = "";
    state.history.forEach(renderEntry);
    state.pending.forEach(function (message) {
      if (message.shown) renderEntry({ from: "user", text: message.shown, pending: true });
    });
  }

  // ---- typing indicator ------------------------------------------------------------------
  var typingTimer = null;
  function showTyping() {
    typing.hidden = false;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(hideTyping, ANSWER_TIMEOUT_MS);
  }
  function hideTyping() {
    typing.hidden = true;
    clearTimeout(typingTimer);
  }

  // ---- connection ------------------------------------------------------------------------
  var socket = io(config.serverUrl, {
    path: config.socketPath,
    transports: ["websocket", "polling"],
    reconnection: true,
    reconnectionDelay: 1000,
    reconnectionDelayMax: 15000,
    randomizationFactor: 0.5,
  });
  var sessionConfirmed = false;

  function setOffline(offline) {
    status.hidden = !offline;
    status.textContent = offline
      ? "You're offline. Reconnecting\u2026 Messages you send now are kept and sent when the connection is back."
      : "";
  }

  function transmit(message) {
    socket.emit("user_uttered", { message: message.payload, session_id: state.sessionId });
    showTyping();
  }

  function flushPending() {
    if (!state.pending.length) return;
    var queued = state.pending;
    state.pending = [];
    queued.forEach(function (message) {
      if (message.shown) state.history.push({ from: "user", text: message.shown });
      transmit(message);
    });
    saveState();
    renderHistory();
  }

  /** Sends `payload`; shows `shown` as the user's bubble (nothing for the initial payload). */
  function sendMessage(payload, shown) {
    var message = { payload: payload, shown: shown };
    if (shown) removeQuickReplies();
    if (socket.connected && sessionConfirmed) {
      if (shown) addEntry({ from: "user", text: shown });
      transmit(message);
    } else {
      // Kept in sessionStorage so that a reload while offline loses nothing either.
      state.pending.push(message);
      saveState();
      if (shown) renderEntry({ from: "user", text: shown, pending: true });
    }
  }

  function requestSession() {
    sessionConfirmed = false;
    socket.emit("session_request", { session_id: state.sessionId });
  }

  socket.on("connect", function () {
    setOffline(false);
    requestSession();
    socket.emit("widget_config", null, applyBranding);
  });
  socket.on("session_confirm", function (sessionId) {
    if (typeof sessionId === "string" && sessionId && sessionId !== state.sessionId) {
      state.sessionId = sessionId;
      saveState();
    }
    sessionConfirmed = true;
    flushPending();
  });
  socket.on("disconnect", function () {
    sessionConfirmed = false;
    setOffline(true);
  });
  socket.on("connect_error", function () { setOffline(true); });

  socket.on("bot_uttered", function (data) {
    if (!data || typeof data !== "object") return;
    hideTyping();
    var entry = { from: "bot" };
    if (typeof data.text === "string") entry.text = data.text;
    var replies = data.quick_replies || data.buttons;
    if (Array.isArray(replies)) {
      entry.replies = replies
        .filter(function (r) { return r && typeof r.title === "string" && typeof r.payload === "string"; })
        .map(function (r) { return { title: r.title, payload: r.payload }; });
    }
    if (data.attachment && data.attachment.type === "image" && data.attachment.payload) {
      entry.image = String(data.attachment.payload.src || "");
    }
    if (!entry.text && !entry.image) return;
    var asks = typeof data.input === "string" && FORM_INPUTS[data.input] ? data.input : "";
    // A form's question: buttons of earlier answers ("Book a consultation") no longer apply.
    if (asks) removeQuickReplies();
    state.asks = asks;
    fitInput(asks);
    addEntry(entry);
  });

  // ---- user actions ----------------------------------------------------------------------
  function startConversation() {
    if (state.started) return;
    state.started = true;
    saveState();
    if (config.initPayload) sendMessage(config.initPayload, null);
  }

  function showPanel(open) {
    root.setAttribute("data-open", String(open));
    launcher.setAttribute("aria-expanded", String(open));
    panel.hidden = !open;
    if (open) scrollToEnd();
  }

  function openPanel() {
    state.open = true;
    saveState();
    showPanel(true);
    input.focus();
    startConversation();
  }

  function closePanel() {
    state.open = false;
    saveState();
    showPanel(false);
    launcher.focus();
  }

  function clearConversation() {
    var references = referencesIn(state.history);
    clearQuestion.hidden = true;
    state = freshState();
    state.open = true;
    saveState();
    hideTyping();
    log.textContent = "";
    fitInput("");
    if (references.length) {
      // The new conversation starts with the references of the old one, so that none is lost.
      addEntry({ from: "bot", text: "Kept from your earlier conversation: your reference "
        + references.join(", ") + ". Quote it when you contact the clinic." });
    }
    requestSession();
    startConversation();
    input.focus();
  }

  function askToClear() {
    clearQuestion.hidden = false;
    keepConversation.focus();
  }

  function keepIt() {
    clearQuestion.hidden = true;
    input.focus();
  }

  launcher.addEventListener("click", openPanel);
  closeButton.addEventListener("click", closePanel);
  clearButton.addEventListener("click", askToClear);
  confirmClear.addEventListener("click", clearConversation);
  keepConversation.addEventListener("click", keepIt);
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      if (clearQuestion.hidden) closePanel(); else keepIt();
    }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim().slice(0, MAX_MESSAGE_LENGTH);
    if (!text) return;
    input.value = "";
    sendMessage(text, text);
    input.focus();
  });

  function mount() {
    document.body.appendChild(root);
    applyBranding(null);
    renderHistory();
    fitInput(state.asks);
    showPanel(Boolean(state.open));
  }

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);

  // A small public handle: open or close from the page, and the connection for diagnostics.
  window.ClinicChat = { open: openPanel, close: closePanel, clear: clearConversation, socket: socket };
})();
