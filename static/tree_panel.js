// A session's tree of runs as an ARIA tree (runs/tree.py gives the nodes), on the session
// page (editor.js) and the share page (watch.js): one node a treeitem, the selected one the
// Tab stop; ↑ ↓ the nodes around, ← the parent, → the first child, Home and End. Model
// output goes in through textContent only.
(function () {
  "use strict";

  // A token's text as the panels show it: quotes and control characters escaped.
  function visible(text) {
    return JSON.stringify(text).slice(1, -1);
  }

  // A node's facts, in one line: model, temperature, seed, tokens, mean probability, status.
  function describe(node) {
    const parts = [node.model];
    if (node.temperature !== undefined && node.temperature !== null) parts.push("T " + node.temperature);
    if (node.seed !== undefined && node.seed !== null) parts.push("seed " + node.seed);
    if (node.tokens) parts.push(node.tokens + " tokens");
    if (typeof node.mean_probability === "number") parts.push("mean p " + node.mean_probability.toFixed(2));
    if (node.status !== "completed") parts.push(node.status);
    return parts.join(" · ");
  }

  // panel: the element the tree goes in. options.choose(item): a node was clicked or
  // reached by an arrow key; options.keys: other keys on a node, {key: (item) => …};
  // options.meta(node): more for its line ("" for nothing); options.empty: what an empty
  // tree says.
  function TreePanel(panel, options) {
    let nodes = [];
    let selected = "";

    function item(node, level) {
      const element = document.createElement("li");
      element.setAttribute("role", "treeitem");
      element.setAttribute("aria-level", String(level));
      element.setAttribute("aria-selected", node.id === selected ? "true" : "false");
      element.dataset.node = node.id;
      element.tabIndex = -1;
      const label = document.createElement("span");
      label.className = "node-label";
      if (node.forced_text) {
        const forced = document.createElement("span");
        forced.className = "node-forced";
        forced.textContent = "“" + visible(node.forced_text) + "” ";
        label.append(forced);
      }
      label.append(document.createTextNode(node.label));
      const meta = document.createElement("span");
      meta.className = "node-meta";
      meta.textContent = describe(node) + (options.meta ? options.meta(node) : "");
      element.append(label, meta);
      return element;
    }

    function render() {
      const ids = new Set(nodes.map((node) => node.id));
      const list = document.createElement("ul");
      list.setAttribute("role", "tree");
      list.setAttribute("aria-label", "Branches of this session");
      let focusable = null;
      function add(node, into, level) {
        const element = item(node, level);
        if (node.id === selected) focusable = element;
        into.append(element);
        const kids = nodes.filter((kid) => kid.parent === node.id);
        if (kids.length) {
          element.setAttribute("aria-expanded", "true");
          const group = document.createElement("ul");
          group.setAttribute("role", "group");
          for (const kid of kids) add(kid, group, level + 1);
          element.append(group);
        }
      }
      for (const node of nodes.filter((n) => !n.parent || !ids.has(n.parent))) add(node, list, 1);
      const first = list.querySelector('[role="treeitem"]');
      (focusable || first || list).tabIndex = 0;
      const hadFocus = panel.contains(document.activeElement);
      if (nodes.length) {
        panel.replaceChildren(list);
      } else {
        const empty = document.createElement("p");
        empty.className = "empty";
        empty.textContent = options.empty;
        panel.replaceChildren(empty);
      }
      if (hadFocus && (focusable || first)) (focusable || first).focus();
    }

    panel.addEventListener("click", (event) => {
      const element = event.target.closest('[role="treeitem"]');
      if (element) options.choose(element);
    });

    panel.addEventListener("keydown", (event) => {
      const element = event.target.closest('[role="treeitem"]');
      if (!element) return;
      const all = [...panel.querySelectorAll('[role="treeitem"]')];
      const at = all.indexOf(element);
      const moves = {
        ArrowDown: () => all[at + 1],
        ArrowUp: () => all[at - 1],
        ArrowLeft: () => element.parentElement.closest('[role="treeitem"]'),
        ArrowRight: () => element.querySelector('[role="treeitem"]'),
        Home: () => all[0],
        End: () => all[all.length - 1],
      };
      const other = options.keys && options.keys[event.key];
      if (!moves[event.key] && !other) return;
      event.preventDefault();
      if (other) {
        other(element);
        return;
      }
      const next = moves[event.key]();
      if (next) options.choose(next);
    });

    return {
      // The nodes (and the one selected) to show now.
      show(list, id) {
        nodes = list;
        selected = id || "";
        render();
      },
      focus() {
        const element = panel.querySelector('[role="treeitem"][tabindex="0"]');
        if (element) element.focus();
      },
    };
  }

  TreePanel.visible = visible;
  TreePanel.describe = describe;
  window.TreePanel = TreePanel;
})();
