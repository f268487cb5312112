// The authenticator web app's service worker (scope /authenticator). It
// keeps the app's shell for when the network is gone, and shows a Web Push
// message as a notification whose click opens the app on that request.
// It never sees the device token nor the device key.
"use strict";

var SHELL = "varco-authenticator-v1";
var SHELL_URLS = ["/authenticator", "/authenticator/manifest.webmanifest", "/authenticator/icon-192.png"];

self.addEventListener("install", function (event) {
  // Without cookies: the kept page must not show anyone's session.
  event.waitUntil(caches.open(SHELL).then(function (c) {
    return c.addAll(SHELL_URLS.map(function (u) { return new Request(u, { credentials: "omit" }); }));
  }).catch(function () {}).then(function () {
    return self.skipWaiting();
  }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) {
      return k.indexOf("varco-authenticator-") === 0 && k !== SHELL;
    }).map(function (k) { return caches.delete(k); }));
  }).then(function () {
    return self.clients.claim();
  }));
});

// The app's page comes from the network first (it is rendered in the
// reader's language), from the cache when offline; its script, whose URL
// names its version, from the cache first. The API is never touched.
self.addEventListener("fetch", function (event) {
  var req = event.request;
  if (req.method !== "GET") {
    return;
  }
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (req.mode === "navigate" && url.pathname === "/authenticator") {
    event.respondWith(fetch(req).catch(function () {
      return caches.match("/authenticator", { ignoreSearch: true }).then(function (r) {
        return r || Response.error();
      });
    }));
    return;
  }
  if (url.pathname === "/authenticator/app.js" || url.pathname === "/static/varco.css") {
    event.respondWith(caches.open(SHELL).then(function (c) {
      return c.match(req).then(function (hit) {
        return hit || fetch(req).then(function (resp) {
          if (resp.ok) {
            c.put(req, resp.clone());
          }
          return resp;
        });
      });
    }));
  }
});

// A push message carries a request as the device's list shows it
// (application, ip, location, time, id); anything missing is left out.
self.addEventListener("push", function (event) {
  var d = {};
  try {
    d = event.data ? event.data.json() : {};
  } catch (e) {
    d = {};
  }
  var title = d.application || "varco";
  var when = "";
  if (d.time) {
    try {
      when = new Date(d.time).toLocaleString();
    } catch (e) {
      when = String(d.time);
    }
  }
  var body = [d.location, d.ip, when].filter(function (s) { return s; }).join(" · ");
  var url = "/authenticator" + (d.id ? "#request=" + encodeURIComponent(d.id) : "");
  event.waitUntil(self.registration.showNotification(title, {
    body: body,
    tag: d.id || "varco-request",
    icon: "/authenticator/icon-192.png",
    requireInteraction: true,
    data: { url: url }
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = (event.notification.data && event.notification.data.url) || "/authenticator";
  event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (list) {
    for (var i = 0; i < list.length; i++) {
      var c = list[i];
      if (new URL(c.url).pathname === "/authenticator" && "focus" in c) {
        return c.navigate(url).then(function (w) { return (w || c).focus(); }).catch(function () { return c.focus(); });
      }
    }
    return self.clients.openWindow(url);
  }));
});
