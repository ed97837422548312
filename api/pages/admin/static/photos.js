/* A station's photos: GET /v1/stations/{id}/photos (thumbnails, newest first), upload
 * (POST …/photos, multipart `file`; the server re-encodes it without EXIF) and delete
 * (DELETE /v1/photos/{id}). Image URLs are built from the photo's id, never taken from text.
 */
(function () {
  "use strict";
  var A = window.YizhanAdmin = window.YizhanAdmin || {};

  var PHOTO_ID = /^ph-[0-9a-f]{12}$/;

  /** parts: {list, file, send, upload, message}; station(): {id, editable}. */
  A.createPhotos = function (parts, station) {
    var photos = [];

    function remove(photo) {
      A.confirm(A.t("photo_delete_title"), A.t("photo_delete_text", { time: A.timeText(photo.uploaded_at) }),
        A.t("photo_delete_yes")).then(function (yes) {
        if (!yes) { return; }
        A.api("DELETE", "/v1/photos/" + photo.id).then(function (got) {
          A.message(parts.message, got.ok ? A.t("photo_deleted") : A.problemText(got), got.ok ? "ok" : "error");
          if (got.ok) { load(); }
        });
      });
    }

    function item(photo) {
      var li = A.el("li", "photo");
      var link = A.el("a", "photo-link");
      link.href = "/v1/photos/" + photo.id;
      link.target = "_blank";
      link.rel = "noopener";
      var img = document.createElement("img");
      img.src = "/v1/photos/" + photo.id + "/thumbnail";
      img.alt = A.t("photo_alt", { time: A.timeText(photo.uploaded_at) });
      img.loading = "lazy";
      img.width = 160;
      img.height = Math.max(1, Math.round(160 * photo.height / Math.max(1, photo.width)));
      link.appendChild(img);
      li.appendChild(link);
      li.appendChild(A.el("p", "photo-when", photo.taken_at ?
        A.t("photo_taken", { time: A.timeText(photo.taken_at) }) : A.t("photo_uploaded", { time: A.timeText(photo.uploaded_at) })));
      if (station().editable) {
        var button = A.button("photo_delete", "danger small", function () { remove(photo); });
        button.setAttribute("aria-label", A.t("photo_delete_label", { time: A.timeText(photo.uploaded_at) }));
        li.appendChild(button);
      }
      return li;
    }

    function render() {
      A.clear(parts.list);
      photos.filter(function (p) { return PHOTO_ID.test(p.id); }).forEach(function (p) { parts.list.appendChild(item(p)); });
      if (!photos.length) { parts.list.appendChild(A.el("li", "none", A.t("photos_none"))); }
      parts.upload.hidden = !station().editable;
    }

    function load() {
      var s = station();
      if (!s.id) { photos = []; render(); return Promise.resolve(); }
      return A.api("GET", "/v1/stations/" + encodeURIComponent(s.id) + "/photos").then(function (got) {
        photos = got.ok ? got.body.photos : [];
        if (!got.ok) { A.message(parts.message, A.problemText(got), "error"); }
        render();
      });
    }

    function upload() {
      var file = parts.file.files && parts.file.files[0];
      if (!file) { A.message(parts.message, A.t("photo_choose"), "error"); return; }
      var form = new FormData();
      form.append("file", file, file.name);
      parts.send.disabled = true;
      A.message(parts.message, A.t("photo_sending"));
      A.api("POST", "/v1/stations/" + encodeURIComponent(station().id) + "/photos", { form: form, timeoutMs: 120000 }).then(function (got) {
        parts.send.disabled = false;
        A.message(parts.message, got.ok ? A.t("photo_sent") : A.problemText(got), got.ok ? "ok" : "error");
        if (got.ok) { parts.file.value = ""; load(); }
      });
    }

    parts.send.addEventListener("click", upload);
    return { load: load, render: render, reset: function () { photos = []; A.message(parts.message, ""); render(); } };
  };
}());
