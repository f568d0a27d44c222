/*
 * kantong map engine, inlined into every peta.html by pipeline/render.py.
 *
 * The kelurahan polygons are drawn once, as one Leaflet layer; each map theme
 * (poverty rate, coverage of a programme, a vulnerable group...) is an empty
 * layer in the layer control that restyles those polygons when chosen. The
 * geometry is therefore stored once in the page however many themes exist.
 *
 * Every text that comes from the data (kelurahan, kecamatan and programme
 * names) goes through esc() before it reaches innerHTML, or is set with
 * textContent / value: a name holding an HTML tag shows as text.
 */
(function () {
  "use strict";

  var DETAIL_ZOOM = 10; // below it, outlines are thin
  var LABEL_ZOOM = 11; // below it, a region with many kecamatan shows no kecamatan names
  var MANY_KECAMATAN = 30;
  var OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";
  var OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>';
  var ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

  function esc(value) {
    return String(value === null || value === undefined ? "" : value).replace(/[&<>"']/g, function (c) {
      return ESCAPES[c];
    });
  }

  /* Rings of integer steps (1e-5 degree, first vertex absolute, not closed) -> GeoJSON coordinates. */
  function decode(polygons) {
    return polygons.map(function (rings) {
      return rings.map(function (steps) {
        var ring = [], x = 0, y = 0;
        for (var i = 0; i < steps.length; i += 2) {
          x += steps[i];
          y += steps[i + 1];
          ring.push([x / 1e5, y / 1e5]);
        }
        ring.push(ring[0]);
        return ring;
      });
    });
  }

  function features(records) {
    return {
      type: "FeatureCollection",
      features: records.map(function (record) {
        var geometry = { type: "MultiPolygon", coordinates: decode(record.g) };
        delete record.g;
        return { type: "Feature", properties: record, geometry: geometry };
      }),
    };
  }

  function Kantong(map, data) {
    var self = this;
    this.map = map;
    this.data = data;
    this.current = 0;
    window.kantong = this; // for the browser tests and the console
    this.layer = L.geoJson(features(data.kel), {
      style: function (feature) {
        return self.style(feature);
      },
      onEachFeature: function (feature, layer) {
        layer.bindTooltip(
          function () {
            return self.tooltip(feature);
          },
          { sticky: true, className: "kantong-tooltip" }
        );
        layer.bindPopup(
          function () {
            return self.popup(feature);
          },
          { maxWidth: 360, minWidth: 280, className: "kantong-popup" }
        );
        layer.on("mouseover", function () {
          layer.setStyle({ weight: 3, color: "#222222" });
        });
        layer.on("mouseout", function () {
          self.layer.resetStyle(layer);
        });
      },
    });
    // the view is set before anything is drawn, so the polygons are projected once
    this.fit(this.layer.getBounds(), 18);
    this.layer.addTo(map);
    // outlines thin out below DETAIL_ZOOM: restyle only when a zoom crosses it
    var detailed = this.detailed();
    map.on("zoomend", function () {
      if (self.detailed() !== detailed) {
        detailed = !detailed;
        self.restyle();
      }
    });
  }

  Kantong.prototype.style = function (feature) {
    var theme = this.data.themes[this.current];
    var cls = feature.properties.c[this.current];
    return {
      fillColor: cls < 0 ? this.data.nodata : theme.colors[cls],
      color: "#555555",
      weight: this.detailed() ? 1 : 0.3,
      fillOpacity: 0.75,
      className: "kantong-kel",
    };
  };

  Kantong.prototype.restyle = function () {
    var self = this;
    this.layer.setStyle(function (feature) {
      return self.style(feature);
    });
  };

  /* Zoomed in enough for full-weight outlines (a province overview draws them thin). */
  Kantong.prototype.detailed = function () {
    return this.map.getZoom() >= DETAIL_ZOOM;
  };

  Kantong.prototype.tooltip = function (feature) {
    var p = feature.properties;
    var theme = this.data.themes[this.current];
    return (
      "<div><b>" + esc(p.n) + "</b></div>" +
      "<div>Kelurahan/desa di Kecamatan " + esc(p.kc) + "</div>" +
      "<div>" + esc(this.data.profile[0]) + ": " + esc(p.v[0]) + "</div>" +
      "<div>" + esc(theme.label) + ": <b>" + esc(p.t[this.current]) + "</b></div>" +
      '<div class="kantong-catatan">Klik untuk profil kelurahan</div>'
    );
  };

  Kantong.prototype.popup = function (feature) {
    var p = feature.properties;
    var rows = [["Kecamatan", p.kc]];
    this.data.profile.forEach(function (label, i) {
      rows.push([label, p.v[i]]);
    });
    this.data.themes.forEach(function (theme, i) {
      if (theme.profile) {
        rows.push([theme.label, p.t[i]]);
      }
    });
    var table = rows
      .map(function (row) {
        return "<tr><td>" + esc(row[0]) + '</td><td class="angka">' + esc(row[1]) + "</td></tr>";
      })
      .join("");
    return (
      '<div class="kantong-profil"><h3>' + esc(p.n) + "</h3><table>" + table + "</table>" +
      this.chart(p) + "</div>"
    );
  };

  /* Programme coverage of one kelurahan as a small horizontal bar chart (SVG). */
  Kantong.prototype.chart = function (p) {
    var programs = this.data.programs;
    if (!programs.length) {
      return "";
    }
    var row = 27, barWidth = 200, width = barWidth + 84;
    var height = programs.length * row + 2;
    var parts = [
      '<div class="judul-grafik">Cakupan program: % KK layak yang menerima</div>',
      '<svg class="kantong-grafik-program" xmlns="http://www.w3.org/2000/svg" width="' + width +
        '" height="' + height + '" role="img" aria-label="Cakupan program">',
    ];
    programs.forEach(function (program, i) {
      var y = i * row;
      var value = p.pc[i];
      parts.push('<text x="0" y="' + (y + 10) + '" font-size="10.5">' + esc(program.name) + "</text>");
      parts.push('<rect x="0" y="' + (y + 13) + '" width="' + barWidth + '" height="11" fill="#eeeeee"/>');
      if (value !== null) {
        parts.push(
          '<rect class="batang" x="0" y="' + (y + 13) + '" width="' +
            ((barWidth * Math.max(0, Math.min(value, 100))) / 100).toFixed(1) + '" height="11" fill="#31a354"/>'
        );
      }
      // the share alone (the theme's text adds the households not reached), or why there is none
      var label = value !== null ? value.toFixed(1).replace(".", ",") + " %" : p.t[program.theme];
      parts.push('<text x="' + (barWidth + 5) + '" y="' + (y + 22) + '" font-size="10.5">' + esc(label) + "</text>");
    });
    parts.push("</svg>");
    return parts.join("");
  };

  /* Kecamatan outlines (dashed, not clickable) with their names; both lighter on a province overview. */
  Kantong.prototype.kecamatan = function () {
    var self = this;
    var group = L.layerGroup();
    var names = L.layerGroup();
    this.data.kec.forEach(function (k) {
      L.marker([k.p[1], k.p[0]], {
        interactive: false,
        keyboard: false,
        icon: L.divIcon({
          className: "kantong-label-icon",
          html: '<div class="kantong-label">' + esc(k.n) + "</div>",
          iconSize: [160, 16],
          iconAnchor: [80, 8],
        }),
      }).addTo(names);
    });
    var outlines = L.geoJson(features(this.data.kec), {
      style: function () {
        return self.detailed()
          ? { fill: false, color: "#222222", weight: 2.5, dashArray: "6 4" }
          : { fill: false, color: "#222222", weight: 1 };
      },
      interactive: false,
    }).addTo(group);
    var many = this.data.kec.length > MANY_KECAMATAN;
    function zoomed() {
      outlines.setStyle(outlines.options.style);
      var show = !many || self.map.getZoom() >= LABEL_ZOOM;
      if (show && !group.hasLayer(names)) {
        group.addLayer(names);
      } else if (!show && group.hasLayer(names)) {
        group.removeLayer(names);
      }
    }
    zoomed();
    this.map.on("zoomend", zoomed);
    return group;
  };

  /* H3 cells, built the first time a planner turns them on (a regency has thousands). */
  Kantong.prototype.cells = function () {
    var map = this.map;
    var spec = this.data.cells;
    var group = L.layerGroup();
    group.once("add", function () {
      L.geoJson(features(spec.records), {
        style: function (feature) {
          return {
            fillColor: spec.colors[feature.properties.c],
            color: "#ffffff",
            weight: 0.5,
            fillOpacity: 0.8,
            className: "kantong-sel",
          };
        },
        onEachFeature: function (feature, layer) {
          var p = feature.properties;
          layer.bindTooltip(
            "<div><b>Sel H3</b>: " + esc(spec.labels[p.c]) + "</div><div>Jumlah KK: " + esc(p.kk) +
              "</div><div>Persentase miskin: " + esc(p.p) + "</div>",
            { sticky: true, className: "kantong-tooltip" }
          );
        },
      }).addTo(group);
    });
    group.on("add", function () {
      // the pockets stay on top of the cells they are made of
      map.eachLayer(function (layer) {
        if (layer instanceof L.Path && layer.options.className === "kantong-pocket") {
          layer.bringToFront();
        }
      });
    });
    return group;
  };

  /* One theme: an empty layer whose presence on the map selects the polygons' style. */
  Kantong.prototype.theme = function (index) {
    var self = this;
    var group = L.layerGroup();
    group.on("add", function () {
      self.current = index;
      self.restyle();
      self.showLegend('[data-tema="' + index + '"]', true);
    });
    group.on("remove", function () {
      self.showLegend('[data-tema="' + index + '"]', false);
    });
    return group;
  };

  Kantong.prototype.showLegend = function (selector, show) {
    document.querySelectorAll(".kantong-legend-blok" + selector).forEach(function (el) {
      el.style.display = show ? "" : "none";
    });
  };

  /* Kelurahan whose name (or "name (kecamatan)") contains the query; an exact name first. */
  Kantong.prototype.find = function (query) {
    var q = String(query).trim().toLowerCase();
    var exact = null, partial = null;
    if (!q) {
      return null;
    }
    this.layer.eachLayer(function (layer) {
      var p = layer.feature.properties;
      var name = String(p.n).toLowerCase();
      var full = (p.n + " (" + p.kc + ")").toLowerCase();
      if (!exact && (name === q || full === q)) {
        exact = layer;
      } else if (!partial && full.indexOf(q) >= 0) {
        partial = layer;
      }
    });
    return exact || partial;
  };

  /* Zoom to one kelurahan (or to bounds), clear of the side panel (left) and the layer control (right). */
  Kantong.prototype.show = function (layer) {
    this.fit(layer.getBounds(), 15);
  };

  Kantong.prototype.fit = function (bounds, maxZoom) {
    var panel = document.getElementById("kantong-panel");
    var control = this.map.getContainer().querySelector(".leaflet-control-layers");
    var right = control ? control.offsetWidth : Math.min(360, this.map.getSize().x / 4); // before the control exists
    this.map.fitBounds(bounds, {
      maxZoom: maxZoom,
      animate: false,
      paddingTopLeft: [(panel ? panel.offsetWidth : 0) + 20, 20],
      paddingBottomRight: [right + 20, 20],
    });
  };

  Kantong.prototype.addSearch = function () {
    var self = this;
    var Search = L.Control.extend({
      options: { position: "topleft" },
      onAdd: function () {
        var box = L.DomUtil.create("div", "leaflet-bar kantong-cari");
        var input = L.DomUtil.create("input", "", box);
        input.type = "search";
        input.placeholder = "Cari kelurahan/desa…";
        input.setAttribute("aria-label", "Cari kelurahan/desa");
        input.setAttribute("list", "kantong-daftar-kel");
        var list = L.DomUtil.create("datalist", "", box);
        list.id = "kantong-daftar-kel";
        input.addEventListener(
          "focus",
          function () {
            // filled on first use: a province has thousands of names
            self.layer.eachLayer(function (layer) {
              var option = document.createElement("option");
              option.value = layer.feature.properties.n + " (" + layer.feature.properties.kc + ")";
              list.appendChild(option);
            });
          },
          { once: true }
        );
        var note = L.DomUtil.create("div", "kantong-cari-hasil", box);
        function go() {
          var found = self.find(input.value);
          note.textContent = input.value.trim() && !found ? "Tidak ditemukan" : "";
          if (found) {
            self.show(found);
            found.openPopup();
          }
        }
        input.addEventListener("change", go);
        input.addEventListener("keydown", function (e) {
          if (e.key === "Enter") {
            go();
          }
        });
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        return box;
      },
    });
    new Search().addTo(this.map);
  };

  var ICON_FULLSCREEN =
    '<svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true"><path d="M1 6V1h5M10 1h5v5M15 10v5h-5M6 15H1v-5" ' +
    'fill="none" stroke="#333" stroke-width="2"/></svg>';
  var ICON_PRINT =
    '<svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true"><path d="M4 6V1h8v5M4 12H1V6h14v6h-3M4 9h8v6H4z" ' +
    'fill="none" stroke="#333" stroke-width="1.6"/></svg>';

  function button(bar, css, title, icon, action) {
    var link = L.DomUtil.create("a", css, bar);
    link.href = "#";
    link.title = title;
    link.setAttribute("role", "button");
    link.setAttribute("aria-label", title);
    link.innerHTML = icon;
    L.DomEvent.on(link, "click", function (e) {
      L.DomEvent.preventDefault(e);
      action();
    });
  }

  Kantong.prototype.addButtons = function () {
    var map = this.map;
    var Buttons = L.Control.extend({
      options: { position: "topleft" },
      onAdd: function () {
        var bar = L.DomUtil.create("div", "leaflet-bar kantong-tombol");
        button(bar, "kantong-layar-penuh", "Layar penuh", ICON_FULLSCREEN, function () {
          if (document.fullscreenElement) {
            document.exitFullscreen();
          } else if (document.documentElement.requestFullscreen) {
            document.documentElement.requestFullscreen().catch(function () {});
          }
        });
        button(bar, "kantong-cetak", "Cetak peta (untuk rapat koordinasi)", ICON_PRINT, function () {
          window.print();
        });
        L.DomEvent.disableClickPropagation(bar);
        return bar;
      },
    });
    new Buttons().addTo(map);
    document.addEventListener("fullscreenchange", function () {
      map.invalidateSize();
    });
    window.addEventListener("beforeprint", function () {
      map.invalidateSize();
    });
  };

  /* Group headings between the themes of the layer control, kept after Leaflet redraws it. */
  Kantong.prototype.addHeadings = function (control) {
    var themes = this.data.themes;
    function headings() {
      var labels = control.getContainer().querySelectorAll(".leaflet-control-layers-base label");
      labels.forEach(function (label, i) {
        if (i < themes.length && (i === 0 || themes[i].group !== themes[i - 1].group)) {
          var heading = document.createElement("div");
          heading.className = "kantong-grup";
          heading.textContent = themes[i].group;
          label.parentNode.insertBefore(heading, label);
        }
      });
    }
    var update = control._update;
    control._update = function () {
      var out = update.apply(this, arguments);
      headings();
      return out;
    };
    headings();
  };

  /* The OpenStreetMap background: one tile is tried first, so that offline the page makes one failed
     request (not dozens), takes the layer off again and says why. */
  Kantong.prototype.osm = function () {
    var map = this.map;
    var group = L.layerGroup();
    var tiles = L.tileLayer(OSM_TILES, { maxZoom: 19, attribution: OSM_ATTRIBUTION });
    group.on("add", function () {
      var note = document.getElementById("kantong-pesan");
      var probe = new Image();
      probe.onload = function () {
        if (map.hasLayer(group)) {
          group.addLayer(tiles);
        }
      };
      probe.onerror = function () {
        map.removeLayer(group);
        if (note) {
          note.textContent = "Peta dasar OpenStreetMap tidak dapat dimuat (tidak ada internet); latar polos dipakai.";
        }
      };
      probe.src = OSM_TILES.replace("{z}/{x}/{y}", "0/0/0");
    });
    group.on("remove", function () {
      group.removeLayer(tiles);
    });
    return group;
  };

  /* Controls that need the finished layer control: search, buttons, scale, headings, legends. */
  Kantong.prototype.finish = function (control) {
    var self = this;
    this.addSearch();
    this.addButtons();
    L.control.scale({ imperial: false, position: "bottomleft" }).addTo(this.map);
    this.addHeadings(control);
    this.map.on("overlayadd", function (e) {
      self.showLegend('[data-layer="' + CSS.escape(e.name) + '"]', true);
    });
    this.map.on("overlayremove", function (e) {
      self.showLegend('[data-layer="' + CSS.escape(e.name) + '"]', false);
    });
    window.kantongSiap = performance.now(); // drawn and interactive (the benchmark reads it)
  };

  window.Kantong = Kantong;
  window.Kantong.esc = esc;
})();
