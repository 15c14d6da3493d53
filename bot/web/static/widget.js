/*
 * Chat widget of the ASEAN assistant for the Cà Mau provincial portal.
 *
 * Plain JavaScript, no build step. Needs the vendored socket.io client (global `io`) loaded first.
 * Embed:
 *   <link rel="stylesheet" href="/static/widget.css">
 *   <script src="/static/vendor/socket.io-4.8.3.min.js" defer></script>
 *   <script src="/static/widget.js" defer data-rasa-url="https://bot.example"
 *           data-socket-path="/socket.io/"></script>
 *
 * Protocol (Rasa 3.6 `socketio` channel, session_persistence: true):
 *   on connect      -> emit "session_request" {session_id: <stored id or null>}
 *   "session_confirm" <- session id; kept in localStorage so a reload keeps the conversation
 *   user message    -> emit "user_uttered" {message: <text or button payload>, session_id,
 *                        metadata: {message_id: <uuid, the same if the message is re-sent>}}
 *   "bot_uttered"   <- {text, quick_replies: [{title, payload}]} (or `buttons`, `attachment`)
 *
 * Security: message text only ever reaches the page as text nodes (textContent / append(string));
 * links are <a> elements built here, with http(s) hrefs only. Nothing uses innerHTML.
 */
(function () {
  "use strict";

  var script = document.currentScript || document.querySelector("script[data-rasa-url]");
  var CONFIG = {
    rasaUrl: (script && script.dataset.rasaUrl) || window.location.origin,
    socketPath: (script && script.dataset.socketPath) || "/socket.io/",
    // Long-polling only by default: Rasa 3.6 serves socket.io through Sanic 21.12, whose
    // WebSocket code fails on Python 3.11 ("Invalid frame header"), and a failed upgrade
    // leaves the connection stuck. data-transports="polling,websocket" re-enables upgrades.
    transports: ((script && script.dataset.transports) || "polling").split(",").map(function (t) {
      return t.trim();
    }),
    maxStoredEntries: 200,
    maxMessageLength: 1000,
    answerTimeoutMs: 30000,
  };
  var KEYS = { session: "acw:session", transcript: "acw:transcript", open: "acw:open" };

  var TEXT = {
    launcher: "Hỏi trợ lý ASEAN",
    title: "Trợ lý ASEAN Cà Mau",
    subtitle: "Hỏi đáp về ASEAN, thương mại và sự kiện",
    close: "Đóng cửa sổ trò chuyện",
    restart: "Bắt đầu cuộc trò chuyện mới",
    restarted: "Đã bắt đầu cuộc trò chuyện mới.",
    inputLabel: "Nhập câu hỏi của bạn",
    placeholder: "Nhập câu hỏi…",
    send: "Gửi",
    you: "Bạn: ",
    bot: "Trợ lý: ",
    typing: "Trợ lý đang trả lời…",
    connecting: "Đang kết nối…",
    reconnecting: "Đang kết nối lại…",
    noClient: "Không tải được thành phần kết nối. Bạn vui lòng tải lại trang.",
    noAnswer: "Trợ lý chưa phản hồi. Bạn vui lòng thử lại sau ít phút.",
    replies: "Gợi ý trả lời",
    feedbackGroup: "Câu trả lời này có hữu ích không?",
    feedbackUp: "Câu trả lời hữu ích",
    feedbackDown: "Câu trả lời chưa hữu ích",
    feedbackThanks: "Cảm ơn bạn đã góp ý.",
    welcome:
      "Xin chào! Tôi là trợ lý ảo về ASEAN của tỉnh Cà Mau. Bạn có thể hỏi về ASEAN, " +
      "các hiệp định thương mại, quy tắc xuất xứ, C/O hoặc các sự kiện sắp tới.",
    disclaimer: "Trợ lý ảo có thể trả lời chưa chính xác; hãy kiểm tra nguồn được dẫn.",
    image: "Xem hình ảnh",
  };

  // ---------------------------------------------------------------- storage (never throws)

  function readJson(storage, key) {
    try {
      var raw = storage.getItem(key);
      return raw === null ? null : JSON.parse(raw);
    } catch (err) {
      return null;
    }
  }

  function writeJson(storage, key, value) {
    try {
      storage.setItem(key, JSON.stringify(value));
    } catch (err) {
      // Storage full or disabled (private mode): the conversation still works, unsaved.
    }
  }

  function removeKey(storage, key) {
    try {
      storage.removeItem(key);
    } catch (err) {
      /* ignore */
    }
  }

  var local = safeStorage("localStorage");
  var perTab = safeStorage("sessionStorage");

  function safeStorage(name) {
    try {
      return window[name];
    } catch (err) {
      var memory = {};
      return {
        getItem: function (k) { return k in memory ? memory[k] : null; },
        setItem: function (k, v) { memory[k] = String(v); },
        removeItem: function (k) { delete memory[k]; },
      };
    }
  }

  // ---------------------------------------------------------------- message model

  function cleanButtons(raw) {
    if (!Array.isArray(raw)) return [];
    var buttons = [];
    raw.slice(0, 12).forEach(function (button) {
      if (!button || typeof button !== "object") return;
      var title = button.title == null ? "" : String(button.title).slice(0, 200);
      var payload = button.payload == null ? title : String(button.payload).slice(0, 1000);
      if (title || payload) buttons.push({ title: title || payload, payload: payload });
    });
    return buttons;
  }

  function isFeedback(button) {
    return /^\/feedback\b/.test(button.payload);
  }

  function feedbackValue(button) {
    var match = /"feedback_value"\s*:\s*"(\w+)"/.exec(button.payload);
    return match ? match[1] : "";
  }

  function isSourceLine(line) {
    return /^\s*Nguồn\s*:/i.test(line);
  }

  /** A stored transcript entry, rebuilt from untrusted storage: keep only known fields. */
  function cleanEntry(raw) {
    if (!raw || typeof raw !== "object" || typeof raw.text !== "string") return null;
    if (raw.from !== "user" && raw.from !== "bot") return null;
    return {
      from: raw.from,
      text: raw.text.slice(0, 20000),
      replies: cleanButtons(raw.replies),
      feedback: cleanButtons(raw.feedback),
      repliesUsed: raw.repliesUsed === true,
      feedbackSent: typeof raw.feedbackSent === "string" ? raw.feedbackSent : null,
    };
  }

  function loadTranscript() {
    var stored = readJson(local, KEYS.transcript);
    if (!Array.isArray(stored)) return [];
    return stored.map(cleanEntry).filter(Boolean);
  }

  // ---------------------------------------------------------------- safe rendering

  var URL_PATTERN = /\b(?:https?:\/\/|www\.)[^\s<>"'`]+/gi;
  var TRAILING_PUNCTUATION = /[.,;:!?)\]}'"»”…]+$/;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = text;
    return node;
  }

  // 24x24 outline paths (Material Icons, Apache-2.0).
  var ICONS = {
    chat: "M20 2H4c-1.1 0-2 .9-2 2v18l4-4h14c1.1 0 2-.9 2-2V4c0-1.1-.9-2-2-2zm0 14H5.17L4 17.17V4h16v12z",
    thumbUp:
      "M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06" +
      "L14.17 1 7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22" +
      "l3.02-7.05c.09-.23.14-.47.14-.73v-2z",
  };

  function svgIcon(path, className) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", className);
    var shape = document.createElementNS(ns, "path");
    shape.setAttribute("d", path);
    svg.append(shape);
    return svg;
  }

  function safeHref(candidate) {
    var withScheme = /^www\./i.test(candidate) ? "https://" + candidate : candidate;
    try {
      var url = new URL(withScheme);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (err) {
      return null;
    }
  }

  /** Appends `text` to `parent` as text nodes, with http(s) URLs turned into links. */
  function appendLinkified(parent, text) {
    var last = 0;
    text.replace(URL_PATTERN, function (match, offset) {
      var url = match.replace(TRAILING_PUNCTUATION, "");
      var href = url ? safeHref(url) : null;
      if (!href) return match;
      parent.append(text.slice(last, offset));
      var link = el("a", "acw-link", url);
      link.href = href;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      parent.append(link);
      last = offset + url.length;
      return match;
    });
    parent.append(text.slice(last));
  }

  /** Bot text: paragraphs, line breaks, "- " lists, links and the "Nguồn:" source line. */
  function renderBotText(container, text) {
    var lines = text.normalize("NFC").replace(/\r\n?/g, "\n").split("\n");
    var paragraph = null;
    var list = null;
    lines.forEach(function (line) {
      var trimmed = line.trim();
      if (!trimmed) {
        paragraph = null;
        list = null;
        return;
      }
      var item = /^[-•]\s+(.*)$/.exec(trimmed);
      if (item) {
        if (!list) {
          list = el("ul", "acw-list");
          container.append(list);
        }
        var li = el("li");
        appendLinkified(li, item[1]);
        list.append(li);
        paragraph = null;
        return;
      }
      list = null;
      if (isSourceLine(trimmed)) {
        var source = el("p", "acw-source");
        appendLinkified(source, trimmed);
        container.append(source);
        paragraph = null;
        return;
      }
      if (paragraph) {
        paragraph.append(document.createElement("br"));
      } else {
        paragraph = el("p", "acw-paragraph");
        container.append(paragraph);
      }
      appendLinkified(paragraph, line);
    });
  }

  // ---------------------------------------------------------------- widget

  var state = {
    transcript: loadTranscript(),
    nodes: [],
    sessionId: readJson(local, KEYS.session),
    socket: null,
    ready: false,
    pending: [],
    answerTimer: null,
  };
  if (typeof state.sessionId !== "string") state.sessionId = null;

  var ui = buildUi();
  renderAll();
  if (readJson(perTab, KEYS.open) === true) openPanel(false);

  function buildUi() {
    var root = el("div", "acw-root");
    root.id = "acw-root";

    var launcher = el("button", "acw-launcher");
    launcher.type = "button";
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-controls", "acw-panel");
    launcher.append(svgIcon(ICONS.chat, "acw-launcher-icon"), el("span", "acw-launcher-text", TEXT.launcher));

    var panel = el("section", "acw-panel");
    panel.id = "acw-panel";
    panel.hidden = true;
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-modal", "false");
    panel.setAttribute("aria-labelledby", "acw-title");

    var header = el("header", "acw-header");
    var heading = el("div", "acw-heading");
    var title = el("h2", "acw-title", TEXT.title);
    title.id = "acw-title";
    heading.append(title, el("p", "acw-subtitle", TEXT.subtitle));
    var restart = iconButton("acw-icon-button acw-restart", "↻", TEXT.restart);
    var close = iconButton("acw-icon-button acw-close", "×", TEXT.close);
    header.append(heading, restart, close);

    var status = el("p", "acw-status");
    status.setAttribute("role", "status");
    status.hidden = true;

    var log = el("div", "acw-log");
    log.setAttribute("role", "log");
    log.setAttribute("aria-live", "polite");
    log.setAttribute("aria-label", TEXT.title);
    log.tabIndex = 0;

    var welcome = el("div", "acw-msg acw-msg--bot acw-welcome");
    var welcomeBubble = el("div", "acw-bubble");
    renderBotText(welcomeBubble, TEXT.welcome);
    welcome.append(welcomeBubble);
    log.append(welcome);

    var typing = el("div", "acw-typing");
    typing.hidden = true;
    var dots = el("span", "acw-dots");
    dots.setAttribute("aria-hidden", "true");
    dots.append(el("span"), el("span"), el("span"));
    typing.append(dots, el("span", "acw-sr-only", TEXT.typing));
    typing.setAttribute("role", "status");

    var form = el("form", "acw-form");
    form.noValidate = true;
    var label = el("label", "acw-sr-only", TEXT.inputLabel);
    label.htmlFor = "acw-input";
    var input = el("input", "acw-input");
    input.id = "acw-input";
    input.type = "text";
    input.autocomplete = "off";
    input.maxLength = CONFIG.maxMessageLength;
    input.placeholder = TEXT.placeholder;
    var send = el("button", "acw-send", TEXT.send);
    send.type = "submit";
    form.append(label, input, send);

    var disclaimer = el("p", "acw-disclaimer", TEXT.disclaimer);

    panel.append(header, status, log, typing, form, disclaimer);
    root.append(launcher, panel); // Tab from the launcher goes straight into the panel
    document.body.append(root);

    launcher.addEventListener("click", function () {
      if (panel.hidden) openPanel(true);
      else closePanel();
    });
    close.addEventListener("click", closePanel);
    restart.addEventListener("click", restartConversation);
    root.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && !panel.hidden) {
        event.preventDefault();
        closePanel();
      }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = input.value.trim();
      if (!text) return;
      input.value = "";
      sendUserMessage(text, text);
    });

    return {
      launcher: launcher, panel: panel, status: status, log: log, typing: typing, input: input,
    };
  }

  function iconButton(className, symbol, label) {
    var button = el("button", className);
    button.type = "button";
    button.setAttribute("aria-label", label);
    button.title = label;
    var icon = el("span", null, symbol);
    icon.setAttribute("aria-hidden", "true");
    button.append(icon);
    return button;
  }

  function openPanel(focusInput) {
    ui.panel.hidden = false;
    ui.launcher.setAttribute("aria-expanded", "true");
    document.documentElement.classList.add("acw-open");
    writeJson(perTab, KEYS.open, true);
    connect();
    scrollToEnd();
    if (focusInput) ui.input.focus();
  }

  function closePanel() {
    ui.panel.hidden = true;
    ui.launcher.setAttribute("aria-expanded", "false");
    document.documentElement.classList.remove("acw-open");
    writeJson(perTab, KEYS.open, false);
    ui.launcher.focus();
  }

  function setStatus(text) {
    ui.status.textContent = text || "";
    ui.status.hidden = !text;
  }

  function scrollToEnd() {
    ui.log.scrollTop = ui.log.scrollHeight;
  }

  // ---------------------------------------------------------------- transcript rendering

  function renderAll() {
    state.nodes.forEach(function (node) { node.remove(); });
    state.nodes = state.transcript.map(renderEntry);
    state.nodes.forEach(function (node) { ui.log.append(node); });
    scrollToEnd();
  }

  function renderEntry(entry, index) {
    var node = el("div", "acw-msg acw-msg--" + entry.from);
    var bubble = el("div", "acw-bubble");
    bubble.append(el("span", "acw-sr-only", entry.from === "user" ? TEXT.you : TEXT.bot));
    if (entry.from === "user") {
      bubble.append(entry.text);
    } else {
      renderBotText(bubble, entry.text);
    }
    node.append(bubble);
    if (entry.feedback.length) node.append(renderFeedback(entry, index));
    if (entry.replies.length && !entry.repliesUsed) node.append(renderReplies(entry));
    return node;
  }

  function renderReplies(entry) {
    var group = el("div", "acw-replies");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", TEXT.replies);
    entry.replies.forEach(function (reply) {
      var button = el("button", "acw-reply", reply.title);
      button.type = "button";
      button.addEventListener("click", function () {
        sendUserMessage(reply.title, reply.payload);
      });
      group.append(button);
    });
    return group;
  }

  function renderFeedback(entry, index) {
    var group = el("div", "acw-feedback");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", TEXT.feedbackGroup);
    entry.feedback.forEach(function (choice) {
      var value = feedbackValue(choice);
      var button = el("button", "acw-feedback-button");
      button.type = "button";
      button.dataset.value = value;
      if (value === "up" || value === "down") {
        // Drawn, not the emoji: phones and kiosks without an emoji font would show empty boxes.
        var label = value === "up" ? TEXT.feedbackUp : TEXT.feedbackDown;
        button.setAttribute("aria-label", label);
        button.title = label;
        button.append(svgIcon(ICONS.thumbUp, "acw-feedback-icon" + (value === "down" ? " acw-flip" : "")));
      } else {
        button.textContent = choice.title;
      }
      button.setAttribute("aria-pressed", String(entry.feedbackSent === choice.payload));
      button.disabled = entry.feedbackSent !== null;
      button.addEventListener("click", function () {
        entry.feedbackSent = choice.payload;
        sendUserMessage(choice.title, choice.payload);
        rerenderEntry(index);
      });
      group.append(button);
    });
    if (entry.feedbackSent !== null) group.append(el("span", "acw-feedback-thanks", TEXT.feedbackThanks));
    return group;
  }

  function rerenderEntry(index) {
    var fresh = renderEntry(state.transcript[index], index);
    state.nodes[index].replaceWith(fresh);
    state.nodes[index] = fresh;
    saveTranscript();
  }

  function saveTranscript() {
    var overflow = state.transcript.length - CONFIG.maxStoredEntries;
    var kept = overflow > 0 ? state.transcript.slice(overflow) : state.transcript;
    writeJson(local, KEYS.transcript, kept);
  }

  function addEntry(entry) {
    var index = state.transcript.push(entry) - 1;
    var node = renderEntry(entry, index);
    state.nodes.push(node);
    ui.log.append(node);
    saveTranscript();
    scrollToEnd();
  }

  /** Quick replies belong to the moment they were offered: once the user answers, drop them. */
  function retireQuickReplies() {
    state.transcript.forEach(function (entry, index) {
      if (entry.replies.length && !entry.repliesUsed) {
        entry.repliesUsed = true;
        rerenderEntry(index);
      }
    });
  }

  // ---------------------------------------------------------------- conversation

  function sendUserMessage(shownText, payload) {
    retireQuickReplies();
    addEntry({ from: "user", text: shownText, replies: [], feedback: [], repliesUsed: false, feedbackSent: null });
    deliver({ message: payload, id: newMessageId() });
    showTyping();
  }

  /** A uuid per message, kept when it is re-sent, so a retry-safe server can drop duplicates. */
  function newMessageId() {
    var cryptoApi = window.crypto;
    if (cryptoApi && typeof cryptoApi.randomUUID === "function") return cryptoApi.randomUUID();
    var bytes = new Uint8Array(16);
    if (cryptoApi && cryptoApi.getRandomValues) cryptoApi.getRandomValues(bytes);
    else for (var i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  function deliver(outgoing) {
    if (state.socket && state.ready) {
      state.socket.emit("user_uttered", {
        message: outgoing.message,
        session_id: state.sessionId,
        metadata: { message_id: outgoing.id },
      });
    } else {
      // Rasa answers into the session's room, which we join with session_request: hold the
      // message until the session is confirmed (socket.io's own buffer would send it earlier).
      state.pending.push(outgoing);
      connect();
    }
  }

  function showTyping() {
    ui.typing.hidden = false;
    window.clearTimeout(state.answerTimer);
    state.answerTimer = window.setTimeout(function () {
      ui.typing.hidden = true;
      if (state.ready) setStatus(TEXT.noAnswer);
    }, CONFIG.answerTimeoutMs);
  }

  function hideTyping() {
    window.clearTimeout(state.answerTimer);
    ui.typing.hidden = true;
  }

  function onBotUttered(data) {
    if (!data || typeof data !== "object") return;
    hideTyping();
    if (ui.status.textContent === TEXT.noAnswer) setStatus("");
    var text = typeof data.text === "string" ? data.text : "";
    var attachment = data.attachment;
    if (attachment && attachment.type === "image" && attachment.payload) {
      var src = String(attachment.payload.src || "");
      if (safeHref(src)) text += (text ? "\n" : "") + TEXT.image + ": " + src;
    }
    var buttons = cleanButtons(data.quick_replies || data.buttons);
    if (!text && !buttons.length) return;
    var feedback = buttons.filter(isFeedback);
    var replies = buttons.filter(function (button) { return !isFeedback(button); });

    // Rasa sends each paragraph as its own message; a source line (or a bare set of buttons)
    // belongs under the answer it documents rather than in a bubble of its own.
    var previous = state.transcript[state.transcript.length - 1];
    if (previous && previous.from === "bot" && (!text || isSourceLine(text))) {
      previous.text = text ? previous.text + "\n" + text : previous.text;
      previous.feedback = previous.feedback.concat(feedback);
      previous.replies = previous.replies.concat(replies);
      rerenderEntry(state.transcript.length - 1);
      scrollToEnd();
      return;
    }
    addEntry({ from: "bot", text: text, replies: replies, feedback: feedback, repliesUsed: false, feedbackSent: null });
  }

  function connect() {
    if (state.socket) return;
    if (typeof window.io !== "function") {
      setStatus(TEXT.noClient);
      return;
    }
    setStatus(TEXT.connecting);
    var socket = window.io(CONFIG.rasaUrl, {
      path: CONFIG.socketPath,
      transports: CONFIG.transports,
      reconnection: true,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 5000,
      timeout: 10000,
    });
    state.socket = socket;

    socket.on("connect", function () {
      state.ready = false;
      socket.emit("session_request", { session_id: state.sessionId });
    });
    socket.on("session_confirm", function (sessionId) {
      var id = sessionId && typeof sessionId === "object" ? sessionId.session_id : sessionId;
      if (typeof id !== "string" || !id) return;
      state.sessionId = id;
      writeJson(local, KEYS.session, id);
      state.ready = true;
      setStatus("");
      var pending = state.pending.splice(0);
      pending.forEach(deliver);
    });
    socket.on("bot_uttered", onBotUttered);
    socket.on("disconnect", function (reason) {
      state.ready = false;
      if (reason === "io client disconnect") return;
      setStatus(TEXT.reconnecting);
      // The server closing the socket on purpose disables automatic reconnection.
      if (reason === "io server disconnect") socket.connect();
    });
    socket.on("connect_error", function () {
      setStatus(state.transcript.length || state.pending.length ? TEXT.reconnecting : TEXT.connecting);
    });
  }

  function restartConversation() {
    state.transcript = [];
    state.pending = [];
    state.sessionId = null;
    removeKey(local, KEYS.transcript);
    removeKey(local, KEYS.session);
    hideTyping();
    renderAll();
    setStatus(TEXT.restarted);
    if (state.socket) {
      // A new socket id gets a fresh room; session_request without an id starts a new session.
      state.ready = false;
      state.socket.disconnect();
      state.socket.connect();
    }
    ui.input.focus();
  }
})();
