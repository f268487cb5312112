// The sign-in page that waits for the authenticator: when the event
// stream says the request was answered (or expired), it presses the
// "I approved it" button itself; the server then signs in or explains.
// Without JavaScript, or without EventSource, the button does the same.
(function () {
  "use strict";
  var form = document.getElementById("push-wait");
  if (!form || !window.EventSource) {
    return;
  }
  var events = new EventSource(form.getAttribute("data-events"));
  events.addEventListener("state", function () {
    events.close();
    form.submit();
  });
})();
