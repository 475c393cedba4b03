/* The course page: chapters, steps, captions, numbers and a presenter mode, from the data in index.html.
   No fetch (file:// pages may not fetch), no innerHTML with text from the run: every text is textContent. */
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("course-data").textContent);
  const $ = (id) => document.getElementById(id);
  const video = $("video");
  const EPS = 0.05;           // seconds: "at a step's start / end"
  const STOP_LEAD = 0.3;      // the timer wakes this early, then every animation frame checks the clock
  let chapterIndex = 0;
  let stopAt = null, stopTimer = null, stopFrame = null;
  let captionsOn = true, currentStep = -2, trackUrl = null;

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v !== null && v !== undefined) e.setAttribute(k, v);
    }
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  function clock(s) {
    s = Math.max(0, Math.floor(s + 1e-6));
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }
  function say(text) { $("message").textContent = text; }
  const chapter = () => data.chapters[chapterIndex];

  // ------------------------------------------------------------ chapters
  function buildChapters() {
    const list = $("chapter-list");
    const items = [];   // rendered and not rendered, in the course's order
    data.chapters.forEach((c, i) => {
      const li = el("li");
      const b = el("button", {type: "button", "data-chapter": c.slug,
                              "aria-label": "Chapter " + c.number + ": " + c.title + ", " + clock(c.duration)});
      b.append(el("span", {}, c.number + ". " + c.title), el("span", {class: "dur"}, clock(c.duration)));
      b.addEventListener("click", () => loadChapter(i));
      li.append(b);
      items.push([c.number, li]);
    });
    for (const m of data.missing) {
      const li = el("li", {class: "missing", "data-missing": m.slug});
      li.append(el("span", {}, m.number + ". " + m.title), el("span", {class: "dur"}, "not rendered"));
      items.push([m.number, li]);
    }
    items.sort((a, b) => a[0] - b[0]).forEach(([, li]) => list.append(li));
    if (data.missing.length) {   // one command renders them all (chapters already rendered are reused)
      const p = el("p", {id: "missing-command", class: "how"},
                   "To render the chapters marked not rendered (those already rendered are reused), run:");
      p.append(el("code", {}, data.missing[0].command));
      $("chapters").append(p);
    }
  }

  function loadChapter(i, then) {
    if (i < 0 || i >= data.chapters.length) return false;
    cancelStop();
    chapterIndex = i;
    const c = chapter();
    document.querySelectorAll("#chapter-list button").forEach((b) =>
      b.setAttribute("aria-current", String(b.dataset.chapter === c.slug)));
    $("chapter-heading").textContent = "Chapter " + c.number + ": " + c.title;
    for (const t of Array.from(video.querySelectorAll("track"))) t.remove();
    if (trackUrl) URL.revokeObjectURL(trackUrl);
    trackUrl = null;
    video.removeAttribute("poster");
    if (c.poster) video.poster = c.poster;
    video.src = c.video;
    if (c.vtt) {   // file:// pages may not load caption files: hand the text over as a blob
      trackUrl = URL.createObjectURL(new Blob([c.vtt], {type: "text/vtt"}));
      const track = el("track", {kind: "captions", srclang: "en", label: "English", src: trackUrl});
      track.default = captionsOn;
      video.append(track);
    }
    buildSteps();
    currentStep = -2;
    video.addEventListener("loadedmetadata", () => {
      applyCaptions();
      onTime();
      if (then) then();
    }, {once: true});
    video.load();
    try { history.replaceState(null, "", location.search + "#" + c.slug); } catch (e) { /* some file:// setups */ }
    return true;
  }

  // ------------------------------------------------------------ steps
  function buildSteps() {
    const list = $("step-list");
    list.replaceChildren();
    chapter().steps.forEach((s, i) => {
      const li = el("li");
      const b = el("button", {type: "button", "data-step": s.id, "data-index": String(i)});
      const head = el("span", {class: "head"});
      head.append(el("span", {dir: "auto"}, s.heading || s.id), el("span", {class: "time"}, clock(s.start)));
      b.append(head, el("span", {class: "narration", dir: "auto"}, s.narration));
      b.addEventListener("click", () => seekTo(s.start));
      li.append(b);
      list.append(li);
    });
  }

  // the index of the last step that has started at time t (-1 before the first)
  function stepAt(t) {
    const steps = chapter().steps;
    let k = -1;
    for (let i = 0; i < steps.length; i++) if (steps[i].start <= t + EPS) k = i;
    return k;
  }

  function onTime() {
    const k = stepAt(video.currentTime);
    if (k === currentStep) return;
    currentStep = k;
    const steps = chapter().steps;
    document.querySelectorAll("#step-list button").forEach((b) => {
      if (Number(b.dataset.index) === k) b.setAttribute("aria-current", "step");
      else b.removeAttribute("aria-current");
    });
    const s = steps[k];
    $("now").textContent = s ? (s.heading || s.id) : chapter().title;
    showNumbers(s);
  }

  // ------------------------------------------------------------ numbers
  function csvOf(r) {
    const q = (v) => (/[",\n]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v);
    const num = (v) => v.replace(/\u2212/g, "-").replace(/∞/g, "inf");
    const lines = [["", ...r.cols].map(q).join(",")];
    r.cells.forEach((row, i) => lines.push([q(r.rows[i]), ...row.map(num)].join(",")));
    return lines.join("\n") + "\n";
  }

  async function copyText(text) {
    try {
      if (navigator.clipboard && window.isSecureContext) { await navigator.clipboard.writeText(text); return true; }
    } catch (e) { /* fall through to the textarea */ }
    const ta = el("textarea", {"aria-hidden": "true"});
    ta.value = text;
    ta.style.position = "fixed"; ta.style.opacity = "0";
    document.body.append(ta);
    ta.select();
    let ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    ta.remove();
    return ok;
  }

  function recordFigure(name, r) {
    const fig = el("section", {class: "record", "aria-label": r.title});
    fig.append(el("h3", {dir: "auto"}, r.title));
    const meta = el("div", {class: "meta"});
    meta.append(el("code", {}, name));
    meta.append(el("span", {}, "shape " + (r.shape.length ? r.shape.join(" × ") : "scalar")));
    if (r.formula) {
      const f = el("span", {class: "formula", "aria-label": "formula " + r.formula});
      if (window.katex) {
        try { window.katex.render(r.formula, f, {throwOnError: false}); } catch (e) { f.textContent = r.formula; }
      } else f.textContent = r.formula;
      meta.append(f);
    }
    const copy = el("button", {type: "button", class: "copy", "aria-label": "Copy " + r.title + " as CSV"}, "Copy as CSV");
    copy.addEventListener("click", async () => {
      const ok = await copyText(csvOf(r));
      say(ok ? "Copied " + r.title + " as CSV (" + r.cells.length + " × " + r.cols.length + ")."
             : "The browser did not allow copying; select the table and copy it instead.");
    });
    meta.append(copy);
    fig.append(meta);
    const wrap = el("div", {class: "scroll", tabindex: "0", role: "region", "aria-label": r.title + " values"});
    const table = el("table", {class: "values", [r.kind === "record" ? "data-record" : "data-weight"]: name});
    const thead = el("thead"), hr = el("tr");
    hr.append(el("th", {scope: "col"}, ""));
    for (const c of r.cols) hr.append(el("th", {scope: "col", dir: "auto"}, c));
    thead.append(hr);
    const tbody = el("tbody");
    r.cells.forEach((row, i) => {
      const tr = el("tr");
      tr.append(el("th", {scope: "row", dir: "auto"}, r.rows[i]));
      for (const v of row) tr.append(el("td", {}, v));
      tbody.append(tr);
    });
    table.append(thead, tbody);
    wrap.append(table);
    fig.append(wrap);
    return fig;
  }

  function showNumbers(s) {
    const box = $("number-tables");
    box.replaceChildren();
    if (!s || !s.records.length) {
      $("numbers-note").textContent = s ? "This step shows no recorded values." : "The chapter's title: no numbers yet.";
      return;
    }
    const owner = data.records[s.owner];
    $("numbers-note").textContent = s.owner === s.id
      ? "The step's value, then what it is computed from."
      : "Values of the step this one works on: " + (owner ? owner.title : s.owner) + ".";
    for (const name of s.records) box.append(recordFigure(name, data.records[name]));
  }

  // ------------------------------------------------------------ playing, and stopping exactly at a step's end
  function cancelStop() {
    stopAt = null;
    clearTimeout(stopTimer); stopTimer = null;
    if (stopFrame !== null) cancelAnimationFrame(stopFrame);
    stopFrame = null;
  }
  function checkStop() {
    stopFrame = null;
    if (stopAt === null) return;
    if (video.currentTime >= stopAt - 0.008 || video.ended) {
      cancelStop();
      video.pause();
      onTime();
      return;
    }
    stopFrame = requestAnimationFrame(checkStop);
    clearTimeout(stopTimer);   // a backstop for when animation frames are throttled
    stopTimer = setTimeout(checkStop, 50);
  }
  function armStop() {
    clearTimeout(stopTimer);
    if (stopFrame !== null) cancelAnimationFrame(stopFrame);
    stopFrame = null;
    if (stopAt === null || video.paused) return;
    const left = (stopAt - video.currentTime) / (video.playbackRate || 1);
    if (left > STOP_LEAD) stopTimer = setTimeout(armStop, (left - STOP_LEAD) * 1000);
    else checkStop();
  }
  function playTo(end) {
    cancelStop();
    stopAt = end;
    const p = video.play();
    if (p && p.then) p.then(armStop, () => { cancelStop(); say("The browser blocked playback: press play on the video."); });
  }
  function seekTo(t) {
    cancelStop();
    video.pause();
    video.currentTime = t;
    onTime();
  }

  // the step → would play: at a step's start, that step; at its end (or inside it), the next
  function cursor() {
    const t = video.currentTime, steps = chapter().steps, k = stepAt(t);
    if (k < 0) return {k: 0, from: "before"};
    if (Math.abs(t - steps[k].start) <= EPS) return {k: k, from: "start"};
    if (t >= steps[k].end - EPS) return {k: k + 1, from: "end"};
    return {k: k, from: "inside"};
  }

  function next() {
    const steps = chapter().steps;
    if (!video.paused) {             // playing: go on to the next step
      const k = stepAt(video.currentTime) + 1;
      if (k < steps.length) { video.currentTime = steps[k].start; playTo(steps[k].end); return; }
      return nextChapter();
    }
    const c = cursor();
    if (c.k >= steps.length) return nextChapter();
    playTo(steps[c.k].end);
  }
  function nextChapter() {
    if (chapterIndex + 1 >= data.chapters.length) { say("That was the last step of the course."); return; }
    loadChapter(chapterIndex + 1, () => { const s = chapter().steps; if (s.length) playTo(s[0].end); });
  }
  function prev() {
    // at a step's start: the step before; at a step's end or inside it: that step's start
    const steps = chapter().steps, c = cursor();
    const k = c.from === "before" ? -1 : (c.from === "inside" ? c.k : c.k - 1);
    if (k >= 0) return seekTo(steps[k].start);
    if (chapterIndex > 0) {
      loadChapter(chapterIndex - 1, () => { const s = chapter().steps; seekTo(s.length ? s[s.length - 1].start : 0); });
    } else seekTo(0);
  }
  function first() { const s = chapter().steps; seekTo(s.length ? s[0].start : 0); }
  function last() { const s = chapter().steps; seekTo(s.length ? s[s.length - 1].start : 0); }

  // ------------------------------------------------------------ toggles
  function applyCaptions() {
    for (const t of Array.from(video.textTracks)) t.mode = captionsOn ? "showing" : "hidden";
    $("captions-button").setAttribute("aria-pressed", String(captionsOn));
  }
  function toggleCaptions() { captionsOn = !captionsOn; applyCaptions(); say(captionsOn ? "Captions on." : "Captions off."); }
  function toggleMute() {
    video.muted = !video.muted;
    $("mute-button").setAttribute("aria-pressed", String(video.muted));
    say(video.muted ? "Voice muted." : "Voice on.");
  }
  function toggleNumbers() {
    const n = $("numbers");
    n.hidden = !n.hidden;
    $("numbers-button").setAttribute("aria-pressed", String(!n.hidden));
  }
  function toggleFullscreen() {
    const target = document.body.classList.contains("present") ? document.documentElement : $("stage");
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
    else if (target.requestFullscreen) target.requestFullscreen().catch(() => say("Full screen was refused by the browser."));
  }
  function setPresent(on) {
    document.body.classList.toggle("present", on);
    $("present-button").setAttribute("aria-pressed", String(on));
    const url = new URL(location.href);
    if (on) url.searchParams.set("present", ""); else url.searchParams.delete("present");
    if (history.replaceState) {
      try { history.replaceState(null, "", url.search.replace("present=", "present") + url.hash); } catch (e) { /* file:// quirks */ }
    }
    if (on && !$("numbers").hidden) toggleNumbers();   // the video first; N brings the numbers in
  }
  function setTheme(theme) { document.documentElement.dataset.theme = theme; }

  // ------------------------------------------------------------ keys
  function onKey(e) {
    if (e.ctrlKey || e.altKey || e.metaKey) return;
    const t = e.target;
    const tag = t && t.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (t && t.isContentEditable)) return;
    const inNumbers = t && t.closest && t.closest("#numbers");
    const key = e.key;
    const actions = {
      "ArrowRight": next, "PageDown": next, " ": next,
      "ArrowLeft": prev, "PageUp": prev, "Home": first, "End": last,
      "f": toggleFullscreen, "F": toggleFullscreen, "m": toggleMute, "M": toggleMute,
      "c": toggleCaptions, "C": toggleCaptions, "n": toggleNumbers, "N": toggleNumbers,
    };
    const act = actions[key];
    if (!act) return;
    if (key === " " && (tag === "BUTTON" || tag === "A" || tag === "SUMMARY")) return;   // Space presses a button
    if (inNumbers && (key.startsWith("Arrow") || key === "Home" || key === "End")) return;   // scrolls a wide table
    e.preventDefault();
    e.stopPropagation();
    act();
  }

  // ------------------------------------------------------------ start
  $("course-title").textContent = data.title;
  $("sentence").textContent = data.source + " → " + data.target;
  buildChapters();
  const params = new URLSearchParams(location.search);
  setTheme(params.get("theme") === "light" || params.get("theme") === "dark" ? params.get("theme") : data.theme);
  video.addEventListener("timeupdate", () => { onTime(); if (stopAt !== null && video.currentTime >= stopAt - 0.008) checkStop(); });
  video.addEventListener("seeked", () => { onTime(); armStop(); });
  video.addEventListener("playing", armStop);
  video.addEventListener("ratechange", armStop);
  video.addEventListener("pause", () => { if (stopAt !== null && video.currentTime < stopAt - 0.008) cancelStop(); });
  document.addEventListener("keydown", onKey, true);
  $("next-button").addEventListener("click", next);
  $("prev-button").addEventListener("click", prev);
  $("mute-button").addEventListener("click", toggleMute);
  $("captions-button").addEventListener("click", toggleCaptions);
  $("numbers-button").addEventListener("click", toggleNumbers);
  $("fullscreen-button").addEventListener("click", toggleFullscreen);
  $("present-button").addEventListener("click", () => setPresent(!document.body.classList.contains("present")));
  $("exit-present").addEventListener("click", () => setPresent(false));
  $("theme-button").addEventListener("click", () =>
    setTheme(document.documentElement.dataset.theme === "light" ? "dark" : "light"));
  $("keys-button").addEventListener("click", () => {
    const k = $("keys"); k.hidden = !k.hidden;
    $("keys-button").setAttribute("aria-expanded", String(!k.hidden));
  });
  const wanted = data.chapters.findIndex((c) => "#" + c.slug === location.hash);
  loadChapter(wanted >= 0 ? wanted : 0);
  if (params.has("present")) setPresent(true);
  window.coursePage = {data: data, next: next, prev: prev, loadChapter: loadChapter};   // for scripts and tests
})();
