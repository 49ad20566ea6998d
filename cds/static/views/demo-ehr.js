/* LN-CDS demo EHR: fires the patient-view hook the way an EHR does and renders the cards the
 * way the CDS Hooks Sandbox does.
 *
 * 1. GET the discovery document, pick our service;
 * 2. resolve its prefetch templates ({{context.patientId}}, {{context.userId}},
 *    {{userPractitionerId}}) and run each against the demo FHIR server (404 → null, other
 *    failures → key left out so the service fetches or answers 412);
 * 3. POST the hook with a fresh hookInstance, fhirServer and the prefetch; when the service
 *    verifies JWTs, each call (hook and feedback) carries a JWT the demo EHR's server signed
 *    for that endpoint (POST /demo/ehr/token; the key never reaches the browser);
 * 4. render each card: indicator, summary, source, markdown detail (rendered server-side by
 *    /demo/markdown with raw HTML disabled), suggestions with Accept, links, and Dismiss with
 *    an override reason; Accept and Dismiss post CDS Hooks feedback.
 * Text from the service is only ever set with textContent, except the server-sanitised detail.
 */
(function () {
  "use strict";

  var root = document.getElementById("demo-ehr");
  if (!root) { return; }
  var cfg = {
    patientId: root.getAttribute("data-patient-id"),
    userId: root.getAttribute("data-user-id"),
    serviceId: root.getAttribute("data-service-id"),
    discoveryUrl: root.getAttribute("data-discovery-url"),
    fhirBase: root.getAttribute("data-fhir-base"),
    markdownUrl: root.getAttribute("data-markdown-url"),
    tokenUrl: root.getAttribute("data-token-url"),
    issuer: root.getAttribute("data-issuer"),
    jku: root.getAttribute("data-jku")
  };
  var statusNode = document.getElementById("hook-status");
  var cardsNode = document.getElementById("cards");
  var refire = document.getElementById("refire-hook");

  function setStatus(text, state) {
    statusNode.textContent = text;
    statusNode.setAttribute("data-state", state || "ok");
  }

  function uuid4() {
    var b = new Uint8Array(16);
    window.crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function getJson(url) {
    return fetch(url, { headers: { Accept: "application/json, application/fhir+json" } });
  }

  function resolveTemplate(template) {
    var practitioner = cfg.userId.indexOf("/") >= 0 ? cfg.userId.split("/")[1] : cfg.userId;
    if (template.indexOf("{{context.encounterId}}") >= 0) { return null; }
    return template
      .split("{{context.patientId}}").join(encodeURIComponent(cfg.patientId))
      .split("{{context.userId}}").join(cfg.userId)
      .split("{{userPractitionerId}}").join(encodeURIComponent(practitioner));
  }

  function runPrefetch(templates) {
    var prefetch = {};
    var keys = Object.keys(templates || {});
    return Promise.all(keys.map(function (key) {
      var query = resolveTemplate(templates[key]);
      if (query === null) { return null; }
      return getJson(cfg.fhirBase + "/" + query).then(function (response) {
        if (response.status === 404) { prefetch[key] = null; return null; }
        if (!response.ok) { return null; }
        return response.json().then(function (body) { prefetch[key] = body; });
      }).catch(function () { return null; });
    })).then(function () { return prefetch; });
  }

  function postJson(url, body, bearer) {
    var headers = { "Content-Type": "application/json", Accept: "application/json" };
    if (bearer) { headers.Authorization = "Bearer " + bearer; }
    return fetch(url, { method: "POST", headers: headers, body: JSON.stringify(body) });
  }

  // A call to the service as an EHR makes it: signed with a fresh JWT for exactly this
  // endpoint when the service verifies JWTs, plain otherwise.
  function callService(path, body) {
    if (!cfg.tokenUrl) { return postJson(path, body); }
    return postJson(cfg.tokenUrl, { path: path }).then(function (response) {
      if (!response.ok) { throw new Error("the demo EHR could not sign the call (" + response.status + ")"); }
      return response.json();
    }).then(function (answer) { return postJson(path, body, answer.token); });
  }

  function sendFeedback(service, entry) {
    entry.outcomeTimestamp = new Date().toISOString();
    return callService("/cds-services/" + encodeURIComponent(service.id) + "/feedback", { feedback: [entry] });
  }

  function renderDetail(container, markdown) {
    postJson(cfg.markdownUrl, { markdown: markdown }).then(function (response) {
      if (!response.ok) { throw new Error("markdown " + response.status); }
      return response.json();
    }).then(function (body) {
      // Rendered by markdown-it-py on our server with raw HTML disabled.
      container.innerHTML = body.html;
      // Wide tables scroll sideways in a narrow panel: make each scroller a labelled,
      // keyboard-reachable region, named after the heading just above it.
      Array.prototype.forEach.call(container.querySelectorAll("table"), function (table) {
        var heading = table.previousElementSibling;
        var name = heading ? heading.textContent.trim() : "";
        var label = (name && name.length <= 60 ? name : "Card detail") + " table";
        var region = el("div", { "class": "table-scroll", role: "region", tabindex: "0", "aria-label": label });
        table.parentNode.insertBefore(region, table);
        region.appendChild(table);
      });
    }).catch(function () {
      container.textContent = markdown;
    });
  }

  function linkHref(link) {
    if (link.type !== "smart") { return link.url; }
    // A SMART link is launched by the EHR: iss and a launch id are appended.
    var sep = link.url.indexOf("?") >= 0 ? "&" : "?";
    return link.url + sep + "iss=" + encodeURIComponent(cfg.fhirBase) + "&launch=" + encodeURIComponent(uuid4());
  }

  function renderCard(service, card, index) {
    var indicator = ["info", "warning", "critical"].indexOf(card.indicator) >= 0 ? card.indicator : "info";
    var article = el("article", {
      "class": "cds-card cds-card--" + indicator,
      "data-indicator": indicator,
      "data-card-uuid": card.uuid || "",
      "aria-labelledby": "card-summary-" + index
    });
    var head = el("div", { "class": "cds-card__head" });
    head.appendChild(el("span", { "class": "cds-card__badge" }, indicator));
    head.appendChild(el("h3", { "class": "cds-card__summary", id: "card-summary-" + index }, card.summary));
    article.appendChild(head);

    if (card.source && card.source.label) {
      var source = el("p", { "class": "cds-card__source" }, "Source: ");
      if (card.source.url) {
        source.appendChild(el("a", { href: card.source.url, target: "_blank", rel: "noopener noreferrer" }, card.source.label));
      } else {
        source.appendChild(document.createTextNode(card.source.label));
      }
      article.appendChild(source);
    }

    if (card.detail) {
      var detail = el("div", { "class": "cds-card__detail" });
      article.appendChild(detail);
      renderDetail(detail, card.detail);
    }

    var feedbackNote = el("p", { "class": "cds-card__feedback", role: "status", "aria-live": "polite" });

    if (card.suggestions && card.suggestions.length) {
      var list = el("ul", { "class": "cds-card__suggestions", "aria-label": "Suggestions" });
      card.suggestions.forEach(function (s) {
        var item = el("li");
        item.appendChild(el("span", {}, s.label));
        var accept = el("button", { type: "button", "class": "button button--primary" }, "Accept");
        accept.setAttribute("aria-label", "Accept: " + s.label);
        accept.addEventListener("click", function () {
          accept.disabled = true;
          sendFeedback(service, {
            card: card.uuid, outcome: "accepted", acceptedSuggestions: [{ id: s.uuid }]
          }).then(function (r) {
            feedbackNote.textContent = r.ok ? "Accepted: " + s.label : "Feedback failed (" + r.status + ")";
            if (!r.ok) { accept.disabled = false; }
          }, function (error) {
            feedbackNote.textContent = "Feedback failed: " + error.message;
            accept.disabled = false;
          });
        });
        item.appendChild(accept);
        list.appendChild(item);
      });
      article.appendChild(list);
    }

    if (card.links && card.links.length) {
      var links = el("ul", { "class": "cds-card__links", "aria-label": "Links" });
      card.links.forEach(function (link) {
        var li = el("li");
        li.appendChild(el("a", {
          "class": "button", href: linkHref(link), target: "_blank", rel: "noopener",
          "data-link-type": link.type
        }, link.label));
        links.appendChild(li);
      });
      article.appendChild(links);
    }

    var dismiss = el("div", { "class": "cds-card__dismiss" });
    var reasons = card.overrideReasons || [];
    var select = null;
    if (reasons.length) {
      var selectId = "override-" + index;
      dismiss.appendChild(el("label", { "for": selectId }, "Reason"));
      select = el("select", { id: selectId });
      select.appendChild(el("option", { value: "" }, "(no reason)"));
      reasons.forEach(function (r, i) { select.appendChild(el("option", { value: String(i) }, r.display || r.code)); });
      dismiss.appendChild(select);
    }
    var dismissButton = el("button", { type: "button", "class": "button" }, "Dismiss");
    dismissButton.setAttribute("aria-label", "Dismiss card: " + card.summary);
    dismissButton.addEventListener("click", function () {
      var entry = { card: card.uuid, outcome: "overridden" };
      if (select && select.value !== "") {
        var reason = reasons[Number(select.value)];
        entry.overrideReason = { reason: { system: reason.system, code: reason.code, display: reason.display } };
      }
      dismissButton.disabled = true;
      sendFeedback(service, entry).then(function (r) {
        if (r.ok) {
          article.setAttribute("data-state", "dismissed");
          feedbackNote.textContent = "Dismissed" + (entry.overrideReason ? ": " + entry.overrideReason.reason.display : "") + ".";
        } else {
          dismissButton.disabled = false;
          feedbackNote.textContent = "Feedback failed (" + r.status + ")";
        }
      }, function (error) {
        dismissButton.disabled = false;
        feedbackNote.textContent = "Feedback failed: " + error.message;
      });
    });
    dismiss.appendChild(dismissButton);
    article.appendChild(dismiss);
    article.appendChild(feedbackNote);
    return article;
  }

  function fireHook() {
    cardsNode.textContent = "";
    refire.disabled = true;
    setStatus("Reading the service's discovery document…");
    var started = performance.now();
    getJson(cfg.discoveryUrl).then(function (response) {
      if (!response.ok) { throw new Error("discovery answered " + response.status); }
      return response.json();
    }).then(function (discovery) {
      var services = discovery.services || [];
      var service = services.filter(function (s) { return s.id === cfg.serviceId; })[0] ||
        services.filter(function (s) { return s.hook === "patient-view"; })[0];
      if (!service) { throw new Error("no patient-view service in discovery"); }
      setStatus("Resolving prefetch against the demo FHIR server…");
      return runPrefetch(service.prefetch).then(function (prefetch) {
        var hookInstance = uuid4();
        setStatus("Calling " + service.id + " (hookInstance " + hookInstance.slice(0, 8) + "…)");
        return callService("/cds-services/" + encodeURIComponent(service.id), {
          hook: "patient-view",
          hookInstance: hookInstance,
          fhirServer: cfg.fhirBase,
          context: { userId: cfg.userId, patientId: cfg.patientId },
          prefetch: prefetch
        }).then(function (response) {
          if (response.status === 401 && cfg.tokenUrl) {
            throw new Error("the service refused the demo EHR's signed JWT (401): add the issuer " +
              cfg.issuer + " with jku " + cfg.jku + " to LNCDS_TRUSTED_ISSUERS_FILE");
          }
          if (response.status === 401) {
            throw new Error("the service requires a signed JWT (401)");
          }
          if (!response.ok) { throw new Error("the service answered " + response.status); }
          return response.json();
        }).then(function (body) {
          var cards = body.cards || [];
          cards.forEach(function (card, i) { cardsNode.appendChild(renderCard(service, card, i)); });
          var ms = Math.round(performance.now() - started);
          setStatus(cards.length + " card" + (cards.length === 1 ? "" : "s") + " in " + ms + " ms" +
            (cfg.tokenUrl ? " (signed call)" : ""));
          document.documentElement.setAttribute("data-hook-done", String(cards.length));
        });
      });
    }).catch(function (error) {
      setStatus("The hook failed: " + error.message, "error");
      document.documentElement.setAttribute("data-hook-done", "error");
    }).then(function () { refire.disabled = false; });
  }

  refire.addEventListener("click", fireHook);
  fireHook();
})();
