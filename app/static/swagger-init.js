// Starts Swagger UI on errcat's API reference page (a file, so the page needs no inline script).
"use strict";
window.addEventListener("DOMContentLoaded", function () {
  var container = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: container.dataset.specUrl,
    domNode: container,
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    validatorUrl: null, // the default badge would load an image from another host
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
