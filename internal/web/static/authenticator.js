// varco's authenticator web app (SPEC §6). It keeps, in this origin's
// localStorage, the device token issued at enrollment and the id of its
// WebAuthn credential; the credential's private key never leaves the
// device's authenticator. Requests arrive on the device's event stream
// (read with fetch, since EventSource cannot send the Bearer token); each
// decision is a WebAuthn assertion whose challenge is the SHA-256 of the
// decision message, so the server recomputes it from the request.
(function () {
  "use strict";

  var root = document.getElementById("authenticator");
  if (!root) {
    return;
  }
  var STORE = "varco.authenticator";
  var strings = {};
  try {
    strings = JSON.parse(document.getElementById("authenticator-strings").textContent);
  } catch (e) {
    strings = {};
  }
  function t(key) {
    return strings[key] || key;
  }
  function $(id) {
    return document.getElementById(id);
  }

  // --- encodings -------------------------------------------------------
  var enc = new TextEncoder();
  function b64urlToBytes(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) {
      s += "=";
    }
    var bin = atob(s);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) {
      out[i] = bin.charCodeAt(i);
    }
    return out;
  }
  function bytesToB64url(buf) {
    var b = new Uint8Array(buf);
    var s = "";
    for (var i = 0; i < b.length; i++) {
      s += String.fromCharCode(b[i]);
    }
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function concat(parts) {
    var n = 0;
    parts.forEach(function (p) { n += p.length; });
    var out = new Uint8Array(n);
    var o = 0;
    parts.forEach(function (p) { out.set(p, o); o += p.length; });
    return out;
  }
  // lengthPrefixed is push.Message's and push.Context.Hash's framing:
  // each field as "<byte length>:<bytes>\n".
  function lengthPrefixed(head, fields) {
    var parts = head ? [enc.encode(head)] : [];
    fields.forEach(function (f) {
      var b = typeof f === "string" ? enc.encode(f) : f;
      parts.push(enc.encode(b.length + ":"), b, enc.encode("\n"));
    });
    return concat(parts);
  }
  function sha256(bytes) {
    return crypto.subtle.digest("SHA-256", bytes).then(function (d) { return new Uint8Array(d); });
  }
  // The hash of the context shown (push.Context.Hash).
  function contextHash(r) {
    var time = new Date(r.time).toISOString().replace(/\.\d{3}Z$/, "Z");
    return sha256(lengthPrefixed("", ["varco-push-context-v1", r.application, r.ip, r.location, r.browser, time,
      r.risky ? "1" : "0"]));
  }
  // The decision's challenge: SHA-256 of push.Message.
  function challenge(r, decision, number) {
    return contextHash(r).then(function (ch) {
      return sha256(lengthPrefixed("varco-push-decision-v1\n", [r.id, b64urlToBytes(r.nonce), decision, number, ch]));
    });
  }

  // --- the device ------------------------------------------------------
  function device() {
    try {
      return JSON.parse(localStorage.getItem(STORE) || "null");
    } catch (e) {
      return null;
    }
  }
  function forget() {
    localStorage.removeItem(STORE);
  }

  function api(method, path, body, token) {
    var headers = { "Accept": "application/json" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
    }
    if (token) {
      headers["Authorization"] = "Bearer " + token;
    }
    return fetch(path, { method: method, headers: headers, credentials: "omit",
      body: body === undefined ? undefined : JSON.stringify(body) }).then(function (resp) {
      if (resp.status === 204) {
        return { status: 204, body: {} };
      }
      return resp.json().catch(function () { return {}; }).then(function (b) {
        return { status: resp.status, body: b };
      });
    });
  }

  // --- what is shown ---------------------------------------------------
  function show(state) {
    root.setAttribute("data-state", state);
    $("enroll-form").hidden = state !== "enroll";
    $("replace").hidden = state !== "replace";
    $("codes").hidden = state !== "codes";
    $("requests").hidden = state !== "requests";
  }
  function status(text) {
    var el = $("app-status");
    el.textContent = text || "";
    el.hidden = !text;
  }
  function error(text, code) {
    var el = $("app-error");
    el.textContent = text || "";
    el.hidden = !text;
    if (code) {
      el.setAttribute("data-code", code);
    } else {
      el.removeAttribute("data-code");
    }
  }

  // --- enrollment ------------------------------------------------------
  function creationOptions(o) {
    var pk = o.publicKey;
    pk.challenge = b64urlToBytes(pk.challenge);
    pk.user.id = b64urlToBytes(pk.user.id);
    (pk.excludeCredentials || []).forEach(function (c) { c.id = b64urlToBytes(c.id); });
    return pk;
  }

  // enroll signs in and registers this device's key. An account that
  // already has a device replaces it with a recovery code or, when the
  // user chose so, with an approval on the old device: the server asks it
  // (202) and the app waits for the answer before creating the key.
  function enroll(ev, oldDevice) {
    if (ev) {
      ev.preventDefault();
    }
    error("");
    if (!window.PublicKeyCredential || !navigator.credentials) {
      error(t("authenticator.unsupported"));
      return;
    }
    var body = { email: $("enroll-email").value, password: $("enroll-password").value };
    var rc = $("enroll-recovery").value.trim();
    if (oldDevice) {
      body.approve_on_old_device = true;
    } else if (rc) {
      body.recovery_code = rc;
    }
    api("POST", "/api/v1/authenticator/webauthn/enroll/begin", body).then(function (r) {
      if (r.status === 202) {
        return approval(r.body);
      }
      if (r.status !== 200) {
        if (r.body && r.body.error === "recovery_code_required") {
          $("enroll-replace").hidden = false;
        }
        throw r;
      }
      return register(r.body);
    }).catch(failed);
  }

  // approval shows the number to type on the old device and polls the
  // replacement until the old device answered; approved goes on with the
  // key's registration.
  var waiting = null;
  var replacing = null; // the approval id of the replacement waited for
  function approval(begun) {
    var token = {};
    waiting = token;
    replacing = begun.approval;
    $("replace-number").textContent = begun.number;
    status("");
    show("replace");
    return new Promise(function (resolve, reject) {
      function poll() {
        if (waiting !== token) {
          resolve(null);
          return;
        }
        api("GET", "/api/v1/authenticator/enroll/" + encodeURIComponent(begun.approval)).then(function (r) {
          if (waiting !== token) {
            resolve(null);
            return;
          }
          if (r.status !== 200) {
            throw r;
          }
          root.setAttribute("data-approval", r.body.state);
          if (r.body.state === "approval_required") {
            setTimeout(poll, 2000);
            return;
          }
          waiting = null;
          replacing = null;
          show("enroll");
          if (r.body.state === "approved") {
            resolve(register(begun));
          } else if (r.body.state === "push_denied") {
            reject({ body: { error: "push_denied", message: t("authenticator.replace_denied") } });
          } else {
            reject({ body: { error: "expired", message: t("authenticator.replace_expired") } });
          }
        }).catch(function (e) {
          if (waiting === token) {
            waiting = null;
            replacing = null;
            show("enroll");
          }
          reject(e);
        });
      }
      poll();
    });
  }

  // register creates this device's key for a begun enrollment and
  // finishes it: the recovery codes are shown once.
  function register(begun) {
    status(t("authenticator.enrolling"));
    return navigator.credentials.create({ publicKey: creationOptions(begun.options) }).then(function (cred) {
      var resp = cred.response;
      var json = { id: cred.id, rawId: bytesToB64url(cred.rawId), type: cred.type,
        authenticatorAttachment: cred.authenticatorAttachment || undefined,
        clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
        response: { clientDataJSON: bytesToB64url(resp.clientDataJSON), attestationObject: bytesToB64url(resp.attestationObject),
          transports: resp.getTransports ? resp.getTransports() : [] } };
      return api("POST", "/api/v1/authenticator/webauthn/enroll/finish", { enrollment: begun.enrollment, credential: json }).then(function (r) {
        if (r.status !== 201) {
          throw r;
        }
        localStorage.setItem(STORE, JSON.stringify({ token: r.body.device_token, device: r.body.device_id, credential: bytesToB64url(cred.rawId) }));
        $("enroll-password").value = "";
        $("enroll-recovery").value = "";
        $("enroll-replace").hidden = true;
        var list = $("codes-list");
        list.textContent = "";
        (r.body.recovery_codes || []).forEach(function (c) {
          var li = document.createElement("li");
          li.textContent = c;
          list.appendChild(li);
        });
        status(t("authenticator.enrolled"));
        show("codes");
      });
    });
  }

  function failed(r) {
    status("");
    if (r && r.body && r.body.message) {
      error(r.body.message, r.body.error);
    } else {
      error(t("authenticator.failed"));
    }
  }

  // --- requests --------------------------------------------------------
  var shown = {}; // id -> {item, li}

  function fmtTime(s) {
    try {
      return new Date(s).toLocaleString(document.documentElement.lang || undefined);
    } catch (e) {
      return s;
    }
  }

  function addRequest(r) {
    if (shown[r.id]) {
      return;
    }
    var li = $("request-template").content.firstElementChild.cloneNode(true);
    li.setAttribute("data-request", r.id);
    var title = r.application_name || strings["appname." + r.application] || r.application;
    if (r.purpose === "disable") {
      title = t("authenticator.purpose_disable");
    } else if (r.purpose === "replace_device") {
      title = t("authenticator.purpose_replace");
    } else if (r.purpose === "recovery_codes") {
      title = t("authenticator.purpose_recovery_codes");
    }
    li.querySelector(".request-title").textContent = title;
    li.querySelector(".request-location").textContent = r.location || "—";
    li.querySelector(".request-ip").textContent = r.ip;
    li.querySelector(".request-browser").textContent = r.browser || "—";
    li.querySelector(".request-time").textContent = fmtTime(r.time);
    li.querySelector(".request-risky").hidden = !r.risky;
    var input = li.querySelector(".request-number");
    input.id = "number-" + r.id;
    input.maxLength = r.digits;
    li.querySelector(".request-approve label").setAttribute("for", input.id);
    li.querySelector(".request-approve").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var n = input.value.trim();
      if (!/^[0-9]+$/.test(n)) {
        requestError(li, t("authenticator.number_missing"));
        return;
      }
      decide(r, li, "approve", n);
    });
    li.querySelector(".request-deny").addEventListener("click", function () { decide(r, li, "deny", ""); });
    li.querySelector(".request-report").addEventListener("click", function () { decide(r, li, "report", ""); });
    shown[r.id] = { item: r, li: li };
    $("requests-list").appendChild(li);
    $("requests-empty").hidden = true;
    if (location.hash === "#request=" + r.id) {
      input.focus();
    }
  }

  function removeRequest(id) {
    var s = shown[id];
    if (!s) {
      return;
    }
    s.li.remove();
    delete shown[id];
    $("requests-empty").hidden = Object.keys(shown).length > 0;
  }

  function requestError(li, text, code) {
    var el = li.querySelector(".request-error");
    el.textContent = text;
    el.hidden = !text;
    if (code) {
      el.setAttribute("data-code", code);
    }
  }

  function busy(li, on) {
    li.querySelectorAll("button, input").forEach(function (b) { b.disabled = on; });
  }

  function decide(r, li, decision, number) {
    var dev = device();
    if (!dev) {
      start();
      return;
    }
    requestError(li, "");
    busy(li, true);
    status(t("authenticator.confirming"));
    challenge(r, decision, number).then(function (c) {
      function get(uv) {
        return navigator.credentials.get({ publicKey: { challenge: c, timeout: 60000, userVerification: uv,
          allowCredentials: [{ type: "public-key", id: b64urlToBytes(dev.credential) }] } });
      }
      // An approval asks for user verification (PIN, fingerprint, face);
      // a denial only for presence, so that refusing is quick. When the
      // device cannot verify the user any more (its screen lock was
      // removed) the approval is asked again with presence only and sent
      // anyway: the server refuses it with device_user_verification_required,
      // and the app says why.
      if (decision !== "approve") {
        return get("discouraged");
      }
      return get("required").catch(function (e) {
        if (e && e.name === "NotAllowedError") {
          return get("discouraged");
        }
        throw e;
      });
    }).then(function (a) {
      var resp = a.response;
      var assertion = { id: a.id, rawId: bytesToB64url(a.rawId), type: a.type,
        authenticatorAttachment: a.authenticatorAttachment || undefined,
        clientExtensionResults: a.getClientExtensionResults ? a.getClientExtensionResults() : {},
        response: { clientDataJSON: bytesToB64url(resp.clientDataJSON), authenticatorData: bytesToB64url(resp.authenticatorData),
          signature: bytesToB64url(resp.signature), userHandle: resp.userHandle ? bytesToB64url(resp.userHandle) : undefined } };
      return api("POST", "/api/v1/authenticator/requests/" + encodeURIComponent(r.id) + "/decision",
        { decision: decision, number: number, assertion: assertion }, dev.token);
    }).then(function (res) {
      busy(li, false);
      if (res.status === 401 && res.body.error === "unauthorized") {
        signedOut();
        return;
      }
      if (res.status !== 200) {
        status("");
        li.setAttribute("data-result", res.body.error || "error");
        requestError(li, res.body.message || t("authenticator.failed"), res.body.error);
        return;
      }
      if (res.body.status === "approved" && r.purpose === "replace_device") {
        status(t("authenticator.approved_replace"));
      } else {
        status(t("authenticator." + res.body.status) || "");
      }
      removeRequest(r.id);
    }).catch(function () {
      busy(li, false);
      status("");
      requestError(li, t("authenticator.failed"));
    });
  }

  // --- the event stream ------------------------------------------------
  var stream = null;
  function listen() {
    var dev = device();
    if (!dev || stream) {
      return;
    }
    var ctrl = new AbortController();
    stream = ctrl;
    fetch("/api/v1/authenticator/events", { headers: { "Authorization": "Bearer " + dev.token, "Accept": "text/event-stream" },
      credentials: "omit", cache: "no-store", signal: ctrl.signal }).then(function (resp) {
      if (resp.status === 401) {
        signedOut();
        return null;
      }
      if (!resp.ok || !resp.body) {
        throw new Error("events " + resp.status);
      }
      root.setAttribute("data-stream", "open");
      status("");
      var reader = resp.body.getReader();
      var dec = new TextDecoder();
      var buf = "";
      function pump() {
        return reader.read().then(function (chunk) {
          if (chunk.done) {
            return;
          }
          buf += dec.decode(chunk.value, { stream: true });
          var i;
          while ((i = buf.indexOf("\n\n")) >= 0) {
            dispatch(buf.slice(0, i));
            buf = buf.slice(i + 2);
          }
          return pump();
        });
      }
      return pump();
    }).catch(function () {
      // Reconnect below.
    }).then(function () {
      root.removeAttribute("data-stream");
      if (stream !== ctrl) {
        return;
      }
      stream = null;
      if (device()) {
        setTimeout(listen, 3000);
      }
    });
  }

  function dispatch(block) {
    var name = "message";
    var data = "";
    block.split("\n").forEach(function (line) {
      if (line.indexOf("event: ") === 0) {
        name = line.slice(7);
      } else if (line.indexOf("data: ") === 0) {
        data += line.slice(6);
      }
    });
    if (!data) {
      return; // a comment: keep-alive
    }
    var v;
    try {
      v = JSON.parse(data);
    } catch (e) {
      return;
    }
    if (name === "request") {
      addRequest(v);
    } else if (name === "closed") {
      removeRequest(v.id);
    } else if (name === "signed_out") {
      signedOut(v.replaced === true);
    }
  }

  // --- Web Push --------------------------------------------------------
  // Subscribes when the server offers Web Push (a VAPID key); a server
  // without it answers 404 and the app relies on its event stream.
  function subscribe(reg) {
    var dev = device();
    if (!dev || !reg || !reg.pushManager || !window.Notification) {
      return;
    }
    api("GET", "/api/v1/authenticator/push-key", undefined, dev.token).then(function (r) {
      if (r.status !== 200 || !r.body.public_key) {
        return null;
      }
      return reg.pushManager.getSubscription().then(function (sub) {
        return sub || reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: b64urlToBytes(r.body.public_key) });
      }).then(function (sub) {
        var j = sub.toJSON();
        return api("PUT", "/api/v1/authenticator/push-subscription",
          { endpoint: j.endpoint, keys: { p256dh: j.keys.p256dh, auth: j.keys.auth } }, dev.token);
      });
    }).catch(function () {
      // Notifications refused or no push service: the stream still works.
    });
  }

  var worker = null;
  function registerWorker() {
    if (!("serviceWorker" in navigator)) {
      return Promise.resolve(null);
    }
    return navigator.serviceWorker.register("/authenticator/sw.js", { scope: "/authenticator" }).then(function (reg) {
      worker = reg;
      return reg;
    }).catch(function () { return null; });
  }

  // --- sign-out --------------------------------------------------------
  // signedOut forgets the device, gone by a sign-out or, when replaced,
  // because another device took its place.
  function signedOut(replaced) {
    forget();
    if (stream) {
      var s = stream;
      stream = null;
      s.abort();
    }
    Object.keys(shown).forEach(removeRequest);
    status(t(replaced === true ? "authenticator.replaced" : "authenticator.signed_out"));
    show("enroll");
  }

  function signOut(ev) {
    ev.preventDefault();
    var dev = device();
    if (!dev) {
      signedOut();
      return;
    }
    api("POST", "/api/v1/authenticator/logout", {}, dev.token).then(function (r) {
      if (r.status === 204 || r.status === 401) {
        if (worker && worker.pushManager) {
          worker.pushManager.getSubscription().then(function (s) { return s && s.unsubscribe(); }).catch(function () {});
        }
        signedOut();
        return;
      }
      throw r;
    }).catch(failed);
  }

  // --- start -----------------------------------------------------------
  function start() {
    if (device()) {
      show("requests");
      listen();
      if (worker) {
        subscribe(worker);
      }
    } else {
      show("enroll");
    }
  }

  $("enroll-form").addEventListener("submit", function (ev) { enroll(ev, false); });
  $("enroll-old-device").addEventListener("click", function () { enroll(null, true); });
  // Cancel stops waiting and withdraws the request, so that the old
  // device drops it and a new one can be asked at once; the app goes
  // back to the sign-in whether or not the server could be told.
  $("replace-cancel").addEventListener("click", function () {
    var id = replacing;
    waiting = null;
    replacing = null;
    status("");
    show("enroll");
    if (id) {
      api("DELETE", "/api/v1/authenticator/enroll/" + encodeURIComponent(id)).catch(function () {});
    }
  });
  $("codes-done").addEventListener("click", function () {
    status("");
    start();
  });
  $("signout-form").addEventListener("submit", signOut);
  window.addEventListener("hashchange", function () {
    var m = /^#request=(.+)$/.exec(location.hash);
    if (m && shown[m[1]]) {
      shown[m[1]].li.querySelector(".request-number").focus();
    }
  });
  registerWorker().then(function (reg) {
    if (reg && device()) {
      subscribe(reg);
    }
  });
  start();
})();
