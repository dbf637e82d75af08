(function () {
  "use strict";
  // Renders the findings table from the JSON block. Data is only ever put in the page with
  // textContent / setAttribute on elements created here: never innerHTML.
  var data = JSON.parse(document.getElementById("sg-data").textContent);
  var rows = data.findings;
  var SEV = {}, ST = {};
  data.severities.forEach(function (s, i) { SEV[s] = i; });
  data.statuses.forEach(function (s, i) { ST[s] = i; });
  var PAGE = 200;

  var tbody = document.getElementById("sg-rows");
  var search = document.getElementById("sg-search");
  var account = document.getElementById("sg-account");
  var rule = document.getElementById("sg-rule");
  var count = document.getElementById("sg-count");
  var empty = document.getElementById("sg-empty");
  var more = document.getElementById("sg-more");
  var sevChips = Array.prototype.slice.call(document.querySelectorAll(".sev-chip"));
  var stChips = Array.prototype.slice.call(document.querySelectorAll(".st-chip"));
  var sortButtons = Array.prototype.slice.call(document.querySelectorAll(".sort"));
  // a narrow window's cards have no column headings: this select sorts them (new-user trial
  // round 35: 682 findings on a phone could not be put in account or rule order)
  var sortSelect = document.getElementById("sg-sort");
  // PASS results counted per rule, not itemised (no --emit-pass): the Pass filter shows the
  // server-rendered per-rule summary instead of an empty table
  var tableWrap = document.getElementById("sg-table-wrap");
  var passBox = document.getElementById("sg-passed");
  var passTotal = data.passes_summarised;
  var passRows = Array.prototype.slice.call(document.querySelectorAll("#sg-passed tr.pass-row"));
  var passHay = passRows.map(function (r) { return r.textContent.toLowerCase(); });
  var passEmpty = document.getElementById("sg-passed-empty");
  var passAcct = document.getElementById("sg-passed-acct");
  var EMPTY_TEXT = empty.textContent;
  var anyFailing = rows.some(function (r) { return r.st !== "PASS"; });

  var state = { sort: "s", dir: "asc", limit: PAGE, open: {} };
  var initial = stChips.map(function (c) { return c.getAttribute("aria-pressed"); });

  // lower-cased search text per row, computed once
  var hay = rows.map(function (r) {
    return [r.r, r.t, r.n, r.a, r.an || "", r.g, r.p || "", r.m, r.ty, r.s, r.st].join(" \u0001 ").toLowerCase();
  });

  function pressed(chips, attr) {
    var out = {};
    chips.forEach(function (c) {
      if (c.getAttribute("aria-pressed") === "true") { out[c.getAttribute(attr)] = true; }
    });
    return out;
  }

  function compare(a, b) {
    var k = state.sort, x, y;
    if (k === "s") { x = SEV[a.s]; y = SEV[b.s]; }
    else if (k === "st") { x = ST[a.st]; y = ST[b.st]; }
    else { x = String(a[k] || ""); y = String(b[k] || ""); }
    if (x === undefined) { x = 99; }
    if (y === undefined) { y = 99; }
    var c = x < y ? -1 : x > y ? 1 : 0;
    if (c === 0) {  // stable, meaningful tie-break: severity, status, rule, resource
      c = (SEV[a.s] - SEV[b.s]) || (ST[a.st] - ST[b.st]) ||
        (a.r < b.r ? -1 : a.r > b.r ? 1 : 0) || (a.n < b.n ? -1 : a.n > b.n ? 1 : 0);
      return c;
    }
    return state.dir === "asc" ? c : -c;
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }

  function block(parent, title, body, full) {
    var div = el("div", full ? "full" : "");
    div.appendChild(el("h3", "", title));
    if (typeof body === "string") { div.appendChild(el("p", "", body)); }
    else { div.appendChild(body); }
    parent.appendChild(div);
  }

  function pre(value) {
    return el("pre", "", JSON.stringify(value, null, 2));
  }

  function detailRow(r) {
    var tr = el("tr", "detail");
    var td = el("td");
    td.colSpan = 7;
    var box = el("div", "detail-box");
    block(box, "Finding", r.t + (r.m ? " — " + r.m : ""), true);
    block(box, "Resource", r.ty + " " + r.n);
    if (r.p) { block(box, "Principal", r.p); }
    var rem = r.rem || {};
    var remText = rem.description || rem.summary || "";
    // the steps this finding needs (evidence.fixes), before the rule's every step
    var fixes = r.e && Array.isArray(r.e.fixes) ? r.e.fixes : [];
    if (fixes.length) { block(box, "What fixes this finding", fixes.join("; ")); }
    if (remText || rem.id) {
      block(box, "Remediation", remText + (rem.id ? " (remediator: " + rem.id + ")" : ""));
    }
    if (r.x && r.x.length) { block(box, "Not assessed: missing input", r.x.join(", ")); }
    if (r.mu) { block(box, "Muted by", pre(r.mu)); }
    if (r.c && Object.keys(r.c).length) { block(box, "Compliance", pre(r.c)); }
    block(box, "Evidence", r.e ? pre(r.e) : "No evidence recorded.", true);
    if (rem && Object.keys(rem).length > 1) { block(box, "Remediation details", pre(rem), true); }
    block(box, "Finding id", r.i);
    td.appendChild(box);
    tr.appendChild(td);
    return tr;
  }

  function row(r) {
    var tr = el("tr", "sg-row");
    tr.setAttribute("data-id", r.i);
    var sev = el("td", "sev-cell");
    sev.appendChild(el("span", "sev sev-" + String(r.s).toLowerCase(), r.s));
    tr.appendChild(sev);
    var st = el("td", "st-cell");
    st.appendChild(el("span", "pill st-" + String(r.st).toLowerCase(), r.st));
    tr.appendChild(st);
    var ru = el("td", "rule");
    ru.appendChild(el("div", "title", r.t));
    ru.appendChild(el("div", "sub mono", r.r));
    tr.appendChild(ru);
    var res = el("td", "res");
    res.appendChild(el("div", "mono", r.sn));
    var sub = r.m || "";
    if (r.p) { sub = r.p + (sub ? " · " + sub : ""); }
    if (sub) { res.appendChild(el("div", "sub", sub)); }
    tr.appendChild(res);
    var ac = el("td", "acct");
    if (r.an) { ac.appendChild(el("div", "", r.an)); }
    ac.appendChild(el("div", r.an ? "sub mono" : "mono", r.a));
    tr.appendChild(ac);
    tr.appendChild(el("td", "reg", r.g));
    var tog = el("td", "tog");
    var btn = el("button", "toggle", state.open[r.i] ? "Hide" : "Details");
    btn.type = "button";
    btn.setAttribute("aria-expanded", state.open[r.i] ? "true" : "false");
    tog.appendChild(btn);
    tr.appendChild(tog);
    return tr;
  }

  var current = [];

  function render() {
    var q = search.value.trim().toLowerCase();
    var terms = q ? q.split(/\s+/) : [];
    var sevs = pressed(sevChips, "data-severity");
    var sts = pressed(stChips, "data-status");
    var acct = account.value, rl = rule.value;
    current = [];
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i];
      if (!sevs[r.s] || !sts[r.st]) { continue; }
      if (acct && r.a !== acct) { continue; }
      if (rl && r.r !== rl) { continue; }
      var ok = true;
      for (var t = 0; t < terms.length; t++) {
        if (hay[i].indexOf(terms[t]) < 0) { ok = false; break; }
      }
      if (ok) { current.push(r); }
    }
    current.sort(compare);
    var frag = document.createDocumentFragment();
    var shown = Math.min(current.length, state.limit);
    for (var j = 0; j < shown; j++) {
      frag.appendChild(row(current[j]));
      if (state.open[current[j].i]) { frag.appendChild(detailRow(current[j])); }
    }
    while (tbody.firstChild) { tbody.removeChild(tbody.firstChild); }
    tbody.appendChild(frag);
    var passOn = passBox !== null && !!sts.PASS;
    var others = Object.keys(sts).some(function (s) { return s !== "PASS"; });
    var passOnly = passOn && !others;
    // a capped table (HTML_ROWS_MAX) holds some of the scan's findings: its rows are not
    // the total (new-user trial 17: "(20000 total)" under a summary of 34,398)
    var of = count.getAttribute("data-of");
    var held = of ? rows.length + " of the " + of + " findings in this page; every one in findings.json"
      : rows.length + " total";
    count.textContent = "Showing " + shown + " of " + current.length + " matching (" + held + ")";
    empty.textContent = EMPTY_TEXT;
    if (passOnly) {
      count.textContent = passTotal + " PASS result" + (passTotal === 1 ? "" : "s") +
        ", counted per rule (not itemised)";
    } else if (passOn) {
      count.textContent = "Showing " + shown + " of " + current.length + " matching (" + rows.length +
        (of ? " of the " + of : "") + " itemised) \u00b7 " + passTotal + " PASS counted per rule below";
      empty.textContent = "No itemised finding matches these filters; the PASS results are counted per rule below.";
    } else if (!anyFailing) {
      // nothing failed, nothing unknown, nothing muted: not "no finding matches these
      // filters", as if a filter hid them (new-user trial round 33), and the terminal's words
      empty.textContent = "No failing, unknown or muted findings" +
        (passTotal || rows.length ? ": the Pass filter shows what passed." : ".");
    }
    if (passBox !== null) {
      passBox.hidden = !passOn;
      var passShown = 0;
      passRows.forEach(function (tr, k) {
        var ok = !!sevs[tr.getAttribute("data-severity")] && (!rl || tr.getAttribute("data-rule") === rl);
        for (var t = 0; ok && t < terms.length; t++) {
          if (passHay[k].indexOf(terms[t]) < 0) { ok = false; }
        }
        tr.hidden = !ok;
        if (ok) { passShown += 1; }
      });
      if (passEmpty) { passEmpty.hidden = passShown !== 0 || passRows.length === 0; }
      if (passAcct) { passAcct.hidden = !acct; }
    }
    if (tableWrap) { tableWrap.hidden = passOnly; }
    empty.hidden = current.length !== 0 || passOnly;
    more.hidden = shown >= current.length;
    more.textContent = "Show " + Math.min(PAGE, current.length - shown) + " more";
    sortButtons.forEach(function (b) {
      if (b.getAttribute("data-sort") === state.sort) { b.setAttribute("data-dir", state.dir); }
      else { b.removeAttribute("data-dir"); }
    });
    if (sortSelect) { sortSelect.value = state.sort; }
  }

  function refilter() { state.limit = PAGE; render(); }

  var timer = null;
  search.addEventListener("input", function () {
    if (timer) { clearTimeout(timer); timer = null; }
    if (rows.length <= 3000) { refilter(); return; }
    timer = setTimeout(function () { timer = null; refilter(); }, 120);  // debounce big reports
  });
  account.addEventListener("change", refilter);
  rule.addEventListener("change", refilter);
  sevChips.concat(stChips).forEach(function (c) {
    c.addEventListener("click", function () {
      c.setAttribute("aria-pressed", c.getAttribute("aria-pressed") === "true" ? "false" : "true");
      refilter();
    });
  });
  sortButtons.forEach(function (b) {
    b.addEventListener("click", function () {
      var k = b.getAttribute("data-sort");
      if (state.sort === k) { state.dir = state.dir === "asc" ? "desc" : "asc"; }
      else { state.sort = k; state.dir = "asc"; }
      render();
    });
  });
  if (sortSelect) {
    sortSelect.addEventListener("change", function () {
      state.sort = sortSelect.value; state.dir = "asc"; render();
    });
  }
  more.addEventListener("click", function () { state.limit += PAGE; render(); });
  // Printed (Ctrl-P, --print-to-pdf), every finding the filters match is on paper, not the
  // first 200 with the hidden "Show 200 more" button: a 682-finding report printed 200
  // (new-user trial round 35). The screen's page size comes back after printing.
  var screenLimit = null;
  window.addEventListener("beforeprint", function () {
    if (screenLimit !== null || state.limit >= current.length) { return; }
    screenLimit = state.limit;
    state.limit = current.length;
    render();
  });
  window.addEventListener("afterprint", function () {
    if (screenLimit === null) { return; }
    state.limit = screenLimit;
    screenLimit = null;
    render();
  });
  document.getElementById("sg-reset").addEventListener("click", function () {
    search.value = ""; account.value = ""; rule.value = "";
    sevChips.forEach(function (c) { c.setAttribute("aria-pressed", "true"); });
    stChips.forEach(function (c, i) { c.setAttribute("aria-pressed", initial[i]); });
    state.sort = "s"; state.dir = "asc"; state.open = {};
    refilter();
  });
  tbody.addEventListener("click", function (ev) {
    var tr = ev.target.closest ? ev.target.closest("tr.sg-row") : null;
    if (!tr) { return; }
    var id = tr.getAttribute("data-id");
    if (state.open[id]) { delete state.open[id]; } else { state.open[id] = true; }
    // the rows are built anew: the row's button keeps the focus it had (Enter on Details
    // left it on the body, and a second Enter did nothing: new-user trial round 30)
    var focused = tr.contains(document.activeElement);
    render();
    if (!focused) { return; }
    var again = Array.prototype.filter.call(tbody.querySelectorAll("tr.sg-row"), function (x) {
      return x.getAttribute("data-id") === id;
    });
    if (again.length) { again[0].querySelector("button.toggle").focus(); }
  });
  render();

  // Access view: show every reader group, or only those with a flag (outside / broken /
  // public), by toggling the hidden attribute; the groups themselves are server-rendered.
  var filters = Array.prototype.slice.call(document.querySelectorAll(".af"));
  var groups = Array.prototype.slice.call(document.querySelectorAll("#sg-access details.ag"));
  var accessEmpty = document.getElementById("sg-access-empty");
  filters.forEach(function (b) {
    b.addEventListener("click", function () {
      var flag = b.getAttribute("data-filter");
      filters.forEach(function (o) { o.setAttribute("aria-pressed", o === b ? "true" : "false"); });
      var shown = 0;
      groups.forEach(function (g) {
        var flags = " " + (g.getAttribute("data-flags") || "") + " ";
        var show = !flag || flags.indexOf(" " + flag + " ") >= 0;
        g.hidden = !show;
        if (show) { shown += 1; }
      });
      if (accessEmpty) { accessEmpty.hidden = shown !== 0; }
    });
  });

  // Rotation path: the selected secret's hops.
  var pathSelect = document.getElementById("sg-path");
  if (pathSelect) {
    pathSelect.addEventListener("change", function () {
      var chosen = pathSelect.options[pathSelect.selectedIndex];
      Array.prototype.slice.call(document.querySelectorAll("#sg-paths ol.path")).forEach(
        function (ol) {
          ol.hidden = ol.id !== pathSelect.value;
          if (!ol.hidden) {  // one route serves many secrets: name the one chosen
            var secret = ol.querySelector(".sg-path-secret");
            secret.textContent = chosen.getAttribute("data-label");  // the full name
            secret.title = chosen.title;  // and its ARN
          }
        });
    });
  }

  // Compliance: a rule name shows the findings behind the control.
  Array.prototype.slice.call(document.querySelectorAll(".rule-ref")).forEach(function (b) {
    b.addEventListener("click", function () {
      var id = b.getAttribute("data-rule");
      var known = Array.prototype.some.call(rule.options, function (o) { return o.value === id; });
      rule.value = known ? id : "";
      stChips.forEach(function (c) { c.setAttribute("aria-pressed", "true"); });
      refilter();
      document.getElementById("findings").scrollIntoView();
    });
  });
}());
