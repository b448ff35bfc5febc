// SPARK chat screen: provider and model pickers, cost estimate, streaming preview over SSE
// (fetch + ReadableStream, since EventSource cannot POST), result, validation report, export.
// Everything the model writes is inserted as text; the only HTML inserted is the server's
// Pygments output, which escapes the code.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const form = $("composer");
  if (!form) return;
  const providerSel = $("provider");
  const modelSel = $("model");
  const promptBox = $("prompt");
  const sendBtn = $("send");
  const stopBtn = $("stop");
  const newBtn = $("new-script");
  const modelInfo = $("model-info");
  const estimateEl = $("estimate");
  const statusEl = $("status");
  const noticesEl = $("notices");
  const errorBox = $("error");
  const preview = $("preview");
  const resultBox = $("result");
  const codeEl = $("code");
  const exportLink = $("export");
  const turnsEl = $("turns");
  const compareLink = $("compare-costs");
  const comparePanel = $("compare-panel");
  const compareBody = document.querySelector("#compare-table tbody");
  const compareNote = $("compare-note");
  const outputPanel = document.querySelector(".output");
  const narrow = window.matchMedia("(max-width: 900px)");

  const maxChars = Number(form.dataset.maxPromptChars);
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const csrfToken = csrfMeta ? csrfMeta.content : "";
  const savedModels = JSON.parse(form.dataset.savedModels || "{}");
  const systemTokens = Number(form.dataset.systemTokens);
  const TYPICAL_OUTPUT_TOKENS = 1500;
  const { usd, estimateTokens } = window.SparkFormat;
  const count = window.SparkFormat.tokens;

  let conversationId = form.dataset.conversationId || null; // "continue this conversation"
  let contextTokens = Number(form.dataset.contextTokens) || 0; // earlier prompts and replies, sent along with a follow-up
  let controller = null;
  let busy = false;
  let lastCode = "";

  const setStatus = (text) => { statusEl.textContent = text; };
  const seconds = window.SparkFormat.seconds;

  // --- models and the cost estimate ----------------------------------------------------------

  function optionFor(model) {
    const option = document.createElement("option");
    option.value = model.id;
    option.textContent = `${model.label} · ${model.price_hint}`;
    option.dataset.status = model.status;
    option.dataset.priceHint = model.price_hint;
    option.dataset.input = model.price ? model.price.input : "";
    option.dataset.output = model.price ? model.price.output : "";
    return option;
  }

  let modelsRequest = 0; // only the latest provider change may fill the model list
  let modelsLoaded = Promise.resolve(); // send() waits for it: never a stale model

  async function loadModels(provider) {
    const request = ++modelsRequest;
    modelSel.disabled = true;
    modelInfo.textContent = "Loading models…";
    try {
      const response = await fetch(`/api/models?provider=${encodeURIComponent(provider)}`, {
        headers: { Accept: "application/json" },
      });
      const data = await response.json();
      if (request !== modelsRequest) return;
      if (!response.ok) throw new Error(data.error ? data.error.message : response.statusText);
      const models = data.providers[0].models;
      modelSel.replaceChildren(...models.map(optionFor));
      const preferred =
        models.find((m) => m.id === savedModels[provider]) || models.find((m) => m.default) || models[0];
      if (preferred) modelSel.value = preferred.id;
    } catch (err) {
      if (request !== modelsRequest) return;
      modelSel.replaceChildren();
      modelInfo.textContent = `Could not load the models: ${err.message}`;
      return;
    } finally {
      modelSel.disabled = busy;
    }
    if (request !== modelsRequest) return;
    updateModelInfo();
    updateEstimate();
    savePreference();
  }

  // The choice is remembered for the next visit (and the next sign-in).
  async function savePreference() {
    const provider = providerSel.value;
    const model = modelSel.value;
    if (!provider || !model) return;
    savedModels[provider] = model;
    try {
      const response = await fetch("/api/preferences", {
        method: "PUT",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken },
        body: JSON.stringify({ provider, model }),
      });
      if (response.status === 401) window.location.assign("/signin");
    } catch {
      // Not saved this time: the choice still applies to this page.
    }
  }

  function updateModelInfo() {
    const option = modelSel.selectedOptions[0];
    if (!option) {
      modelInfo.textContent = "No models.";
      return;
    }
    const notes = {
      legacy: "Legacy model: superseded, still served.",
      retired: "Retired model: the provider may refuse it.",
      unknown: "Reported by the provider; not in SPARK's catalog.",
    };
    const note = notes[option.dataset.status] || "";
    modelInfo.textContent = `${note ? note + " " : ""}Price: ${option.dataset.priceHint}.`;
  }

  // The side-by-side comparison: every available model's estimated cost for this prompt, asked
  // of /api/estimate with sizes only (the prompt itself stays out of URLs and logs).
  let compareTimer = null;
  let compareAsked = "";

  function scheduleComparison() {
    if (!comparePanel.open) return;
    clearTimeout(compareTimer);
    compareTimer = setTimeout(refreshComparison, 300);
  }

  async function refreshComparison() {
    const promptTokens = Math.max(1, estimateTokens(promptBox.value.slice(0, maxChars)) + contextTokens);
    const query = `prompt_tokens=${promptTokens}&output_tokens=${TYPICAL_OUTPUT_TOKENS}`;
    if (query === compareAsked) return;
    compareAsked = query;
    compareNote.textContent = "Estimating…";
    try {
      const response = await fetch(`/api/estimate?${query}`, { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const report = await response.json();
      if (query !== compareAsked) return;  // a newer request is on its way
      const rows = report.models.filter((m) => m.available);
      compareBody.replaceChildren(...rows.map((m) => {
        const tr = document.createElement("tr");
        tr.className = "compare-row";
        tr.dataset.cheapest = String(Boolean(m.cheapest));
        const name = document.createElement("td");
        name.textContent = `${m.display_name} (${m.provider})${m.cheapest ? " — cheapest" : ""}`;
        name.dataset.label = "Model";
        const cost = document.createElement("td");
        cost.textContent = m.cost_usd === null ? "unknown price" : (m.free ? "free" : usd(m.cost_usd));
        cost.dataset.label = "Estimated cost";
        const checked = document.createElement("td");
        checked.dataset.label = "Price checked";
        checked.textContent = m.price_checked || "—";
        tr.append(name, cost, checked);
        return tr;
      }));
      compareNote.textContent = `≈${count(report.input_tokens)} input and ` +
        `${count(report.output_tokens)} output tokens. ${report.note}`;
    } catch (error) {
      compareAsked = "";
      compareNote.textContent = `Could not estimate the costs (${error.message}).`;
    }
  }

  comparePanel.addEventListener("toggle", scheduleComparison);

  function updateEstimate() {
    scheduleComparison();
    const option = modelSel.selectedOptions[0];
    const chars = promptBox.value.length;
    // The cost calculator gets sizes only: the prompt itself stays out of URLs and logs.
    const promptTokens = chars ? estimateTokens(promptBox.value) + contextTokens : 0;
    compareLink.href = promptTokens
      ? `/estimate?prompt_tokens=${promptTokens}&output_tokens=${TYPICAL_OUTPUT_TOKENS}`
      : "/estimate";
    if (chars > maxChars) {
      estimateEl.textContent = `The prompt is ${count(chars)} characters; ` +
        `the limit is ${count(maxChars)}.`;
      return;
    }
    if (!option || !chars) {
      estimateEl.textContent = "";
      return;
    }
    if (!option.dataset.input) {
      estimateEl.textContent = "Cost estimate unavailable: this model's price is unknown.";
      return;
    }
    const inputTokens = promptTokens + systemTokens;
    const cost = (inputTokens * Number(option.dataset.input) +
      TYPICAL_OUTPUT_TOKENS * Number(option.dataset.output)) / 1e6;
    if (cost === 0) {
      estimateEl.textContent = "Estimated cost: free.";
      return;
    }
    estimateEl.textContent = `Estimated cost: about ${usd(cost)} ` +
      `(≈${count(inputTokens)} input tokens including SPARK's instructions` +
      `${contextTokens ? " and the conversation" : ""}, ~${count(TYPICAL_OUTPUT_TOKENS)} output ` +
      "tokens for a typical script). A rough estimate, not a quote.";
  }

  // --- output ----------------------------------------------------------------------------------

  function addNotice(text, kind) {
    const item = document.createElement("li");
    item.className = `notice ${kind}`;
    item.textContent = text;
    noticesEl.append(item);
  }

  function showError(error) {
    $("error-message").textContent = error.message || "Something went wrong.";
    $("error-hint").textContent = error.hint || "";
    errorBox.hidden = false;
  }

  function clearOutput() {
    noticesEl.replaceChildren();
    errorBox.hidden = true;
    preview.textContent = "";
    preview.hidden = true;
    resultBox.hidden = true;
  }

  function focusLine(line) {
    const target = document.getElementById(`line-${line}`);
    if (!target) return;
    codeEl.querySelectorAll(".flash").forEach((el) => el.classList.remove("flash"));
    target.classList.add("flash");
    target.scrollIntoView({ block: "center" });
  }

  function renderReport(report, summaryEl, listEl, linkLines) {
    listEl.replaceChildren();
    if (!report) {
      summaryEl.textContent = "Not validated.";
      return;
    }
    summaryEl.textContent = report.summary;
    summaryEl.className = report.ok ? "ok" : "failed";
    for (const d of report.diagnostics) {
      const item = document.createElement("li");
      item.className = `diag sev-${d.severity}`;
      const where = `line ${d.line}:${d.column}`;
      if (linkLines) {
        const link = document.createElement("a");
        link.href = `#line-${d.line}`;
        link.textContent = where;
        link.addEventListener("click", (event) => {
          event.preventDefault();
          focusLine(d.line);
        });
        item.append(link);
      } else {
        item.append(where);
      }
      const badge = document.createElement("span");
      badge.className = "severity";
      badge.textContent = d.severity;
      item.append(" ", badge, ` ${d.rule_id}: ${d.message}`);
      if (d.hint) {
        const hint = document.createElement("div");
        hint.className = "diag-hint";
        hint.textContent = d.hint;
        item.append(hint);
      }
      listEl.append(item);
    }
  }

  function addTurn(prompt, result) {
    $("conversation-empty").hidden = true;
    const item = document.createElement("li");
    const name = document.createElement("strong");
    name.textContent = result.file_name;
    const text = document.createElement("span");
    text.textContent = ` — ${prompt.length > 140 ? prompt.slice(0, 140) + "…" : prompt} `;
    const link = document.createElement("a");
    link.href = result.export_url;
    link.setAttribute("download", result.file_name);
    link.textContent = "Export";
    item.append(name, text, link);
    turnsEl.append(item);
  }

  function showResult(result, prompt) {
    preview.hidden = true;
    lastCode = result.code;
    $("result-file").textContent = result.file_name;
    exportLink.href = result.export_url;
    exportLink.setAttribute("download", result.file_name);
    codeEl.innerHTML = result.html; // the server's Pygments output: the code arrives escaped
    const u = result.usage;
    const cost = result.cost_usd === null ? "price unknown" : usd(result.cost_usd);
    const attempts = result.attempts === 1 ? "1 attempt" : `${result.attempts} attempts`;
    // attempts are 1 + retries; repair rounds are counted apart
    const repair = result.repair_rounds === 1 ? " · 1 repair round"
      : result.repair_rounds ? ` · ${result.repair_rounds} repair rounds` : "";
    $("stats").textContent = `${result.provider} / ${result.model} · ` +
      `${count(u.input_tokens)} input + ${count(u.output_tokens)} output ` +
      `tokens · ${cost} · ${seconds(result.duration_ms)} · ${attempts}${repair}`;
    renderReport(result.validation, $("report-summary"), $("report-list"), true);
    const repairBox = $("repair");
    repairBox.hidden = !result.validation_before_repair;
    if (result.validation_before_repair) {
      renderReport(result.validation_before_repair, $("repair-summary"), $("repair-list"), false);
    }
    resultBox.hidden = false;
    addTurn(prompt, result);
    contextTokens += estimateTokens(prompt) + estimateTokens(result.reply);
    promptBox.value = "";
    updateEstimate();
  }

  function handle(type, data, prompt) {
    switch (type) {
      case "start":
        conversationId = data.conversation_id;
        preview.hidden = false;
        if (narrow.matches) outputPanel.scrollIntoView({ block: "start" });
        setStatus(`Generating with ${data.provider} / ${data.model}…`);
        break;
      case "token":
        preview.append(data.text); // a text node: never parsed as HTML
        preview.scrollTop = preview.scrollHeight;
        break;
      case "retry":
        preview.textContent = "";
        addNotice(data.message, "retry");
        setStatus(data.message);
        break;
      case "repair":
        preview.textContent = "";
        addNotice("The script had validation errors: asking the model to fix them " +
          `(repair round ${data.round}).`, "repair");
        setStatus("Repairing…");
        break;
      case "validation":
        setStatus(`Validated: ${data.report ? data.report.summary : "no report"}`);
        break;
      case "done":
        showResult(data.result, prompt);
        setStatus(`Done in ${seconds(data.result.duration_ms)}.`);
        break;
      case "error":
        preview.hidden = true;
        showError(data.error);
        setStatus("Failed.");
        break;
      default:
        break;
    }
  }

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

  // --- sending -------------------------------------------------------------------------------

  function setBusy(on) {
    busy = on;
    providerSel.disabled = on;
    modelSel.disabled = on;
    sendBtn.disabled = on;
    newBtn.disabled = on;
    stopBtn.disabled = !on;
    form.setAttribute("aria-busy", String(on));
  }

  async function send() {
    if (busy) return;
    await modelsLoaded;
    if (busy) return;
    const prompt = promptBox.value;
    clearOutput();
    if (!prompt.trim()) {
      showError({ message: "The prompt is empty.", hint: "Describe the script you want." });
      promptBox.focus();
      return;
    }
    const body = { provider: providerSel.value, prompt };
    if (modelSel.value) body.model = modelSel.value;
    if (conversationId) body.conversation_id = conversationId;
    setBusy(true);
    setStatus("Sending…");
    controller = new AbortController();
    let finished = false;
    try {
      const response = await fetch("/api/generate", {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          Accept: "text/event-stream",
          "X-CSRF-Token": csrfToken,
        },
        body: JSON.stringify(body),
        signal: controller.signal,
      });
      if (response.status === 401) {
        window.location.assign("/signin");
        return;
      }
      if (!response.ok) {
        const data = await response.json().catch(() => null);
        const error = data && data.error ? data.error : { message: `SPARK answered ${response.status}.` };
        if (error.kind === "unknown_conversation") {
          conversationId = null; // forgotten by the server: the next prompt starts afresh
          contextTokens = 0;
        }
        showError(error);
        setStatus("Failed.");
        return;
      }
      await readEvents(response.body, (type, data) => {
        if (type === "done" || type === "error") finished = true;
        handle(type, data, prompt);
      });
      if (!finished) {
        showError({
          message: "The connection to SPARK closed before the script was finished.",
          hint: "Try again.",
        });
        setStatus("Failed.");
      }
    } catch (err) {
      if (err.name === "AbortError") {
        preview.hidden = true;
        addNotice("Stopped: the generation was cancelled.", "stopped");
        setStatus("Stopped.");
      } else {
        showError({
          message: `Lost the connection to SPARK (${err.message}).`,
          hint: "Check that `spark serve` is still running, then try again.",
        });
        setStatus("Failed.");
      }
    } finally {
      controller = null;
      setBusy(false);
    }
  }

  function newScript() {
    if (busy) return;
    conversationId = null;
    contextTokens = 0;
    lastCode = "";
    turnsEl.replaceChildren();
    $("conversation-empty").hidden = false;
    clearOutput();
    setStatus("Ready. Your next prompt starts a new script.");
    updateEstimate();
    promptBox.focus();
  }

  async function copyCode() {
    const button = $("copy");
    try {
      await navigator.clipboard.writeText(lastCode);
      button.textContent = "Copied";
    } catch {
      const range = document.createRange();
      range.selectNodeContents(codeEl.querySelector("td.code") || codeEl);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      button.textContent = "Selected: press Ctrl+C";
    }
    setTimeout(() => { button.textContent = "Copy"; }, 2000);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send();
  });
  promptBox.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      send();
    }
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && controller) controller.abort();
  });
  promptBox.addEventListener("input", updateEstimate);
  providerSel.addEventListener("change", () => {
    modelsLoaded = loadModels(providerSel.value);
  });
  modelSel.addEventListener("change", () => {
    updateModelInfo();
    updateEstimate();
    savePreference();
  });
  stopBtn.addEventListener("click", () => controller && controller.abort());
  newBtn.addEventListener("click", newScript);
  $("copy").addEventListener("click", copyCode);

  updateModelInfo();
  updateEstimate();
})();
