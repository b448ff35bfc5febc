// Reading SPARK's event stream and showing a reply while it streams: prose as prose, code as
// code. Everything the model writes is inserted as text nodes (never parsed as HTML); the
// finished reply's prose is rendered to Markdown by the server (sanitised) when it is done.
"use strict";

window.SparkStream = (() => {
  // Server-Sent Events from a fetch body (EventSource cannot POST).
  async function readEvents(body, onEvent) {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n/g, "\n");
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let type = "message";
        const data = [];
        for (const line of block.split("\n")) {
          if (!line || line.startsWith(":")) continue;
          const colon = line.indexOf(":");
          const field = colon < 0 ? line : line.slice(0, colon);
          let text = colon < 0 ? "" : line.slice(colon + 1);
          if (text.startsWith(" ")) text = text.slice(1);
          if (field === "event") type = text;
          else if (field === "data") data.push(text);
        }
        if (data.length) onEvent(type, JSON.parse(data.join("\n")));
      }
    }
  }

  // The reply so far as parts: [{kind: "prose"|"code", text}], split on ``` fence lines.
  function split(text) {
    const parts = [];
    let kind = "prose";
    let current = [];
    const lines = text.split("\n");
    lines.forEach((line, i) => {
      if (/^[ \t]*(```|~~~)/.test(line)) {
        parts.push({ kind, text: current.join("\n") });
        kind = kind === "prose" ? "code" : "prose";
        current = [];
        return;
      }
      current.push(line);
      if (i === lines.length - 1) parts.push({ kind, text: current.join("\n") });
    });
    return parts.filter((p) => p.text.trim());
  }

  // A live view of the streaming reply inside `container`.
  class StreamView {
    constructor(container) {
      this.container = container;
      this.text = "";
    }

    clear() {
      this.text = "";
      this.container.replaceChildren();
    }

    append(chunk) {
      this.text += chunk;
      this.render();
    }

    render() {
      const nodes = split(this.text).map((part) => {
        const el = document.createElement(part.kind === "code" ? "pre" : "div");
        el.className = part.kind === "code" ? "preview stream-code" : "stream-prose";
        el.textContent = part.text;
        return el;
      });
      this.container.replaceChildren(...nodes);
      const last = this.container.lastElementChild;
      if (last && last.tagName === "PRE") last.scrollTop = last.scrollHeight;
    }
  }

  return { readEvents, split, StreamView };
})();
