// SPARK chat screen: provider and model pickers, cost estimate, the Unity target, streaming
// over SSE (stream.js), the result with its validation report, the conversation's turns (its URL
// /c/<id> survives a reload), Regenerate, Edit, Stop that keeps partial text, export.
// Everything the model writes is inserted as text; the only HTML inserted is the server's:
// Pygments output (escaped code), sanitised Markdown (nh3), diffs and the turns (escaped).
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
  const maxOutputTokens = Number(form.dataset.maxOutputTokens) || 4096;
  const replies = Number(form.dataset.replies) || 1;
  const budgetNote = $("budget-note");
  let budget = null; // GET /api/budget: the spend limits that apply to this user
  const { usd, estimateTokens } = window.SparkFormat;
  const count = window.SparkFormat.tokens;

  let conversationId = form.dataset.conversationId || null; // "continue this conversation"
  let contextTokens = Number(form.dataset.contextTokens) || 0; // earlier prompts and replies, sent along with a follow-up
  let controller = null;
  let busy = false;
  let writing = false; // a script is being written: leaving the page asks first
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

  // --- spend limits: warned before sending ------------------------------------------------------

  async function loadBudget() {
    try {
      const response = await fetch("/api/budget", { headers: { Accept: "application/json" } });
      budget = response.ok ? await response.json() : null;
    } catch (error) {
      budget = null;
    }
    updateEstimate();
  }

  // What the server reserves before calling the provider: every reply at the output limit.
  function worstCost(option, inputTokens) {
    if (!option || !option.dataset.input) return null;
    const perReply = inputTokens * Number(option.dataset.input) +
      maxOutputTokens * Number(option.dataset.output);
    const repairs = (replies - 1) * (inputTokens + 2 * maxOutputTokens) * Number(option.dataset.input) +
      (replies - 1) * maxOutputTokens * Number(option.dataset.output);
    return (perReply + repairs) / 1e6;
  }

  function updateBudget(option, inputTokens) {
    const lines = budget ? budget.lines : [];
    let text = "";
    const worst = providerSel.value === "offline" ? 0 : worstCost(option, inputTokens);
    const short = lines.filter((line) => worst && worst > Number(line.left_usd));
    if (short.length) {
      const line = short[0];
      text = `This request could cost up to ${usd(worst)}, more than the ${usd(Number(line.left_usd))} ` +
        `left under ${line.label} (${usd(Number(line.spent_usd))} of ${usd(Number(line.limit_usd))} spent): ` +
        `SPARK will refuse it. It resets ${new Date(line.resets_at).toUTCString()}.`;
    } else {
      const warned = lines.find((line) => line.warning);
      if (warned) {
        text = `You have spent ${usd(Number(warned.spent_usd))} of ${warned.label} ` +
          `(${usd(Number(warned.limit_usd))}): ${usd(Number(warned.left_usd))} left.`;
      }
    }
    budgetNote.textContent = text;
    budgetNote.hidden = !text;
    budgetNote.classList.toggle("over-budget", short.length > 0);
  }

  function updateEstimate() {
    scheduleComparison();
    updateBudget(modelSel.selectedOptions[0],
      (promptBox.value.length ? estimateTokens(promptBox.value) : 0) + contextTokens + systemTokens);
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

  const streamView = new window.SparkStream.StreamView($("preview-parts"));
  const previewStopped = $("preview-stopped");
  const previewExport = $("preview-export");
  let generationId = null; // of the generation streaming now
  let editing = false; // the next send replaces the last prompt's answer

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

  // A new generation starts: the current script stays visible until the new one is done, so
  // a failed follow-up never hides it.
  function clearOutput() {
    noticesEl.replaceChildren();
    errorBox.hidden = true;
    streamView.clear();
    previewStopped.hidden = true;
    previewExport.hidden = true;
    preview.hidden = true;
  }

  function focusLine(line) {
    const target = document.getElementById(`line-${line}`);
    if (!target) return;
    codeEl.querySelectorAll(".flash").forEach((el) => el.classList.remove("flash"));
    target.classList.add("flash");
    target.scrollIntoView({ block: "center" });
  }

  // Links to lines, whether the server drew the report or this script did.
  resultBox.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-line]");
    if (!link) return;
    event.preventDefault();
    focusLine(link.dataset.line);
  });

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
        link.dataset.line = d.line;
        link.textContent = where;
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

  // --- the conversation: its URL, its turns, the sidebar ---------------------------------------

  function showConversation(id, title) {
    conversationId = id;
    form.dataset.conversationId = id;
    const path = `/c/${id}`;
    if (window.location.pathname !== path) window.history.pushState({}, "", path);
    const heading = $("composer-title");
    if (heading.textContent === "New Unity script") heading.textContent = title;
    const tools = $("conversation-tools");
    tools.hidden = false;
    tools.querySelectorAll("[data-href]").forEach((el) => { el.href = el.dataset.href.replace("{id}", id); });
    tools.querySelectorAll("[data-action]").forEach((el) => { el.action = el.dataset.action.replace("{id}", id); });
    const list = $("conversation-list");
    if (list && !list.querySelector(`a[href="${path}"]`)) {
      const item = document.createElement("li");
      item.className = "active";
      const link = document.createElement("a");
      link.href = path;
      link.textContent = title.length > 80 ? `${title.slice(0, 79)}…` : title;
      link.setAttribute("aria-current", "page");
      item.append(link);
      list.querySelectorAll("li.active").forEach((li) => li.classList.remove("active"));
      list.prepend(item);
      $("conversation-list-empty").hidden = true;
    }
  }

  async function refreshTurns() {
    const asked = conversationId;
    if (!asked) return;
    try {
      const response = await fetch(`/c/${asked}/turns`, { headers: { Accept: "text/html" } });
      if (!response.ok) return;
      const html = await response.text();
      if (asked !== conversationId) return; // "New script" was pressed meanwhile
      // The server's fragment: every text in it is escaped by Jinja.
      $("turns-box").innerHTML = html;
      const any = $("turns").children.length > 0;
      $("conversation-empty").hidden = any;
      $("turn-tools").hidden = !any;
      $("regenerate").hidden = !lastTurn();
    } catch {
      // The list catches up on the next generation or reload.
    }
  }

  // The last turn and the revision it built on (null: none, so Regenerate and Edit send no
  // earlier turns). Turns recorded before SPARK kept that build on the revision before them.
  function lastTurn() {
    const turns = [...document.querySelectorAll("#turns > li.turn")];
    if (!turns.length) return null;
    const last = turns[turns.length - 1];
    let base = last.dataset.base;
    if (base === "") {
      const earlier = turns.slice(0, -1).reverse().find((li) => li.dataset.revision);
      base = earlier ? earlier.dataset.generationId : "0";
    }
    return {
      prompt: last.querySelector(".turn-prompt").textContent.replace(/^Prompt: /, ""),
      base: base === "0" ? null : base,
    };
  }

  function showResult(result) {
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
    // How it was answered, when that is news: from the response cache, or by a fallback route.
    const note = result.cached
      ? (result.saved_usd === null ? "cached" : `cached — saved ${usd(result.saved_usd)}`)
      : (result.answered_by || "");
    $("stats").textContent = `${result.provider} / ${result.model} · ` +
      `${count(u.input_tokens)} input + ${count(u.output_tokens)} output ` +
      `tokens · ${cost} · ${seconds(result.duration_ms)} · ${attempts}${repair}` +
      (note ? ` · ${note}` : "");
    $("target-used").textContent = result.target ? `Written for ${result.target}.` : "";
    // The prose, rendered from Markdown and sanitised by the server (nh3).
    $("explanation").innerHTML = result.explanation_html || "";
    $("explanation-box").hidden = !result.explanation_html;
    $("result-partial").hidden = true;
    renderReport(result.validation, $("report-summary"), $("report-list"), true);
    $("fixes-diff").innerHTML = result.fixes_diff_html || ""; // escaped by the server
    $("fixes").hidden = !result.fixes_diff_html;
    const compiled = $("compile-summary");
    compiled.textContent = result.compile ? result.compile.summary : "";
    compiled.hidden = !result.compile;
    const repairBox = $("repair");
    repairBox.hidden = !result.validation_before_repair;
    if (result.validation_before_repair) {
      renderReport(result.validation_before_repair, $("repair-summary"), $("repair-list"), false);
    }
    resultBox.hidden = false;
    preview.hidden = true;
  }

  function handle(type, data, prompt) {
    switch (type) {
      case "start":
        generationId = data.generation_id;
        showConversation(data.conversation_id, prompt);
        preview.hidden = false;
        $("preview-target").textContent = `Writing for ${data.target}.`;
        if (narrow.matches) outputPanel.scrollIntoView({ block: "start" });
        setStatus(`Generating with ${data.provider} / ${data.model}…`);
        break;
      case "token":
        streamView.append(data.text); // text nodes: never parsed as HTML
        break;
      case "retry":
        streamView.clear();
        addNotice(data.message, "retry");
        setStatus(data.message);
        break;
      case "repair":
        streamView.clear();
        addNotice("The script had validation errors: asking the model to fix them " +
          `(repair round ${data.round}).`, "repair");
        setStatus("Repairing…");
        break;
      case "validation":
        setStatus(`Validated: ${data.report ? data.report.summary : "no report"}`);
        break;
      case "compile":
        setStatus(data.report.summary);
        break;
      case "done":
        showResult(data.result);
        contextTokens += estimateTokens(prompt) +
          estimateTokens("```csharp\n" + data.result.code + "\n```");
        promptBox.value = "";
        setEditing(false);
        updateEstimate();
        setStatus(`Done in ${seconds(data.result.duration_ms)}.`);
        break;
      case "error":
        preview.hidden = true;
        showError(data.error);
        setStatus(resultBox.hidden ? "Failed." : "Failed. The current script is unchanged.");
        break;
      default:
        break;
    }
  }

  // --- sending ---------------------------------------------------------------------------------

  function setBusy(on) {
    busy = on;
    writing = on;
    providerSel.disabled = on;
    modelSel.disabled = on;
    sendBtn.disabled = on;
    newBtn.disabled = on;
    stopBtn.disabled = !on;
    $("regenerate").disabled = on;
    $("edit-last").disabled = on;
    form.setAttribute("aria-busy", String(on));
  }

  // Leaving the page while a script is being written asks first.
  window.addEventListener("beforeunload", (event) => {
    if (!writing) return;
    event.preventDefault();
    event.returnValue = "";
  });

  function stopped() {
    const partial = streamView.text.trim();
    setStatus("Stopped.");
    addNotice("Stopped: the generation was cancelled.", "stopped");
    if (!partial) {
      preview.hidden = true;
      return;
    }
    // Keep what arrived, marked incomplete; the server keeps it too (exportable).
    preview.hidden = false;
    previewStopped.hidden = false;
    if (generationId && /```/.test(partial)) {
      previewExport.href = `/api/export/${generationId}`;
      previewExport.hidden = false;
    }
  }

  async function send(options = {}) {
    if (busy) return;
    await modelsLoaded;
    if (busy) return;
    const prompt = options.prompt !== undefined ? options.prompt : promptBox.value;
    clearOutput();
    if (!prompt.trim()) {
      showError({ message: "The prompt is empty.", hint: "Describe the script you want." });
      promptBox.focus();
      return;
    }
    // html: the result's highlighted code, Markdown and fixes diff (API clients skip them)
    const body = { provider: providerSel.value, prompt, html: true };
    if (modelSel.value) body.model = modelSel.value;
    // Regenerate asks for a new answer: never the response cache's stored one.
    if (options.replaceLast) body.cache = false;
    if (conversationId) {
      body.conversation_id = conversationId;
      // Regenerate and Edit build on the revision before the last prompt's answer.
      const replacing = options.replaceLast || editing;
      const last = replacing ? lastTurn() : null;
      if (replacing && last && last.base) body.base_generation_id = last.base;
      else if (replacing) body.fresh = true;
    }
    setBusy(true);
    setStatus("Sending…");
    controller = new AbortController();
    generationId = null;
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
      await window.SparkStream.readEvents(response.body, (type, data) => {
        if (type === "done" || type === "error") {
          finished = true;
          writing = false; // the outcome is in: nothing is lost by leaving now
        }
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
        stopped();
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
      loadBudget(); // what is left after this generation
      await refreshTurns();
      if (!finished) setTimeout(refreshTurns, 1500); // a stopped row is finished meanwhile
    }
  }

  function setEditing(on) {
    editing = on;
    $("edit-banner").hidden = !on;
  }

  function editLast() {
    const last = lastTurn();
    if (busy || !last) return;
    promptBox.value = last.prompt;
    setEditing(true);
    updateEstimate();
    promptBox.focus();
  }

  function regenerate() {
    const last = lastTurn();
    if (busy || !last) return;
    send({ prompt: last.prompt, replaceLast: true });
  }

  function newScript() {
    if (busy) return;
    conversationId = null;
    form.dataset.conversationId = "";
    contextTokens = 0;
    lastCode = "";
    $("turns").replaceChildren();
    $("conversation-empty").hidden = false;
    $("turn-tools").hidden = true;
    $("composer-title").textContent = "New Unity script";
    $("conversation-tools").hidden = true;
    clearOutput();
    resultBox.hidden = true;
    setEditing(false);
    if (window.location.pathname !== "/") window.history.pushState({}, "", "/");
    setStatus("Ready. Your next prompt starts a new script.");
    updateEstimate();
    promptBox.focus();
  }

  async function copyCode() {
    const button = $("copy");
    const text = lastCode || (codeEl.querySelector("td.code") || codeEl).innerText.replace(/\n$/, "");
    try {
      await navigator.clipboard.writeText(text);
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

  // --- the Unity target ------------------------------------------------------------------------

  async function saveTarget() {
    const note = $("target-note");
    const body = {
      provider: providerSel.value,
      unity_version: $("target-version").value.trim(),
      input_system: $("target-input").value,
      render_pipeline: $("target-pipeline").value || null,
    };
    try {
      const response = await fetch("/api/preferences", {
        method: "PUT",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken },
        body: JSON.stringify(body),
      });
      const data = await response.json();
      if (!response.ok) {
        note.textContent = data.error ? data.error.message : `Not saved (${response.status}).`;
        return;
      }
      $("target-summary").textContent = data.target;
      note.textContent = `Saved: the next script is written for ${data.target}.`;
    } catch (err) {
      note.textContent = `Not saved (${err.message}).`;
    }
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
  $("regenerate").addEventListener("click", regenerate);
  $("edit-last").addEventListener("click", editLast);
  $("edit-cancel").addEventListener("click", () => { setEditing(false); promptBox.value = ""; updateEstimate(); });
  for (const id of ["target-input", "target-pipeline"]) $(id).addEventListener("change", saveTarget);
  $("target-version").addEventListener("change", saveTarget);
  // The sidebar starts folded on a phone, open on a wider screen.
  const sidebar = $("sidebar");
  if (sidebar && narrow.matches) sidebar.open = false;
  $("regenerate").hidden = !lastTurn();

  updateModelInfo();
  updateEstimate();
  loadBudget();
})();
