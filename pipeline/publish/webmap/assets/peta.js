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
  var PHONE = window.matchMedia("(max-width: 640px)");
  var PRINT = window.matchMedia("print");
  var LABEL_HEIGHT = 14;
  // where a name may go, in (half its width, its height) from its point: on it, above, below, right, left
  var LABEL_SHIFTS = [[0, 0], [0, -1], [0, 1], [1, 0], [-1, 0]];
  var MIN_LABELLED_PX = 24; // a kelurahan narrower than this on screen is not named
  var LEAFLET_PREFIX = '<a href="https://leafletjs.com" title="Pustaka JavaScript untuk peta interaktif">Leaflet</a>';

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

  /* One line of integer steps -> GeoJSON coordinates. */
  function decodeLine(steps) {
    var line = [], x = 0, y = 0;
    for (var i = 0; i < steps.length; i += 2) {
      x += steps[i];
      y += steps[i + 1];
      line.push([x / 1e5, y / 1e5]);
    }
    return line;
  }

  /* A text on the map as a Leaflet icon: class (and an extra one), escaped text, size in pixels, anchored at its centre. */
  function textIcon(css, text, width, height, extra) {
    return L.divIcon({
      className: css + "-icon",
      html: '<div class="' + css + (extra ? " " + extra : "") + '">' + esc(text) + "</div>",
      iconSize: [width, height],
      iconAnchor: [width / 2, height / 2],
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
    this.fillOpacity = 0.75; // lighter while the basemap is on, so that its streets show through
    window.kantong = this; // for the browser tests and the console
    // panes: kelurahan (overlayPane, 400) < H3 cells < pocket outlines < names < markers and popups
    map.createPane("kantongSel").style.zIndex = 410;
    map.createPane("kantongKantong").style.zIndex = 420;
    map.createPane("kantongLabel").style.zIndex = 450;
    map.getPane("kantongLabel").style.pointerEvents = "none";
    this.labels = L.layerGroup().addTo(map);
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
        layer.on("click", function (e) {
          self.open(layer, e.latlng);
        });
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
    map.on("moveend", function () {
      self.placeLabels();
    });
  }

  /* The profile of one kelurahan in a popup kept clear of the panel and the controls. */
  Kantong.prototype.open = function (layer, latlng) {
    var p = layer.feature.properties;
    var where = latlng || L.latLng(p.lp[1], p.lp[0]);
    var size = this.map.getSize();
    var clear = this.clearance();
    this.closeDrawers();
    // one profile popup, reused: a second open replaces it instead of stacking a fading copy
    this.profile = this.profile || L.popup({ className: "kantong-popup" });
    L.setOptions(this.profile, {
      minWidth: Math.min(280, size.x - 60),
      maxWidth: Math.min(360, size.x - 40),
      maxHeight: Math.max(160, size.y - clear.top - clear.bottom - 40),
      autoPanPaddingTopLeft: [clear.left + 10, clear.top + 10],
      autoPanPaddingBottomRight: [clear.right + 10, clear.bottom + 10],
    });
    this.profile
      .setLatLng(where)
      .setContent(this.popup(layer.feature))
      .openOn(this.map);
  };

  /* How far the panel and the controls reach into the map from each side, in pixels. */
  Kantong.prototype.clearance = function () {
    var container = this.map.getContainer();
    var box = container.getBoundingClientRect();
    // the farthest reach of the elements matching selector, measured from the top or the bottom edge
    function reach(selector, from) {
      var most = 0;
      container.querySelectorAll(selector).forEach(function (el) {
        var r = el.getBoundingClientRect();
        if (r.width || r.height) {
          // a hidden control (the north arrow off paper) has an empty box at 0,0: it reaches nowhere
          most = Math.max(most, from === "top" ? r.bottom - box.top : box.bottom - r.top);
        }
      });
      return most;
    }
    var out = { left: 0, top: reach(".leaflet-top .leaflet-control", "top"), right: 0, bottom: 0 };
    out.bottom = reach(".leaflet-bottom .leaflet-control", "bottom");
    if (!PHONE.matches) {
      var panel = document.getElementById("kantong-panel");
      if (panel && panel.offsetParent !== null) {
        out.left = panel.getBoundingClientRect().right - box.left;
      }
      // the layer list and the legend on the right are tall: keep the popup left of them instead
      [container.querySelector(".leaflet-control-layers"), document.getElementById("kantong-legend")].forEach(
        function (el) {
          if (el && el.offsetParent !== null) {
            out.right = Math.max(out.right, box.right - el.getBoundingClientRect().left);
          }
        }
      );
      if (container.querySelector(".leaflet-top.leaflet-left .leaflet-control")) {
        out.top = Math.min(out.top, 10 + reach(".leaflet-top.leaflet-left .leaflet-control", "top"));
      }
      out.bottom = Math.min(out.bottom, 40);
    }
    return out;
  };

  /* Kelurahan names, placed at the next frame (several moves in one frame place them once). */
  Kantong.prototype.placeLabels = function () {
    var self = this;
    if (!this.control || this.labelFrame) {
      return; // not before the page is finished (finish() places them), nor twice in a frame
    }
    this.labelFrame = requestAnimationFrame(function () {
      self.labelFrame = null;
      self.drawLabels();
    });
  };

  /* Kelurahan names, by zoom and without overlap: the priority order first, then larger areas. A name
     goes on its point, or just above, below, right or left of it; a kelurahan too small on screen gets none. */
  Kantong.prototype.drawLabels = function () {
    var map = this.map;
    var size = map.getSize();
    var grid = {}; // placed boxes by 64-pixel grid cell
    var box0 = map.getContainer().getBoundingClientRect();
    if (this.labelFrame) {
      cancelAnimationFrame(this.labelFrame); // placed now: a pending frame would place them again
      this.labelFrame = null;
    }
    this.labels.clearLayers();
    function cells(box, visit) {
      for (var gx = Math.floor(box[0] / 64); gx <= Math.floor(box[2] / 64); gx++) {
        for (var gy = Math.floor(box[1] / 64); gy <= Math.floor(box[3] / 64); gy++) {
          if (visit(gx + ":" + gy) === false) {
            return false;
          }
        }
      }
      return true;
    }
    function free(box) {
      return cells(box, function (key) {
        return !(grid[key] || []).some(function (o) {
          return box[0] < o[2] && o[0] < box[2] && box[1] < o[3] && o[1] < box[3];
        });
      });
    }
    function take(box) {
      cells(box, function (key) {
        (grid[key] = grid[key] || []).push(box);
      });
    }
    // names already on the map (kecamatan, pocket badges) are obstacles
    map.getContainer().querySelectorAll(".kantong-label, .kantong-label-kantong").forEach(function (el) {
      var r = el.getBoundingClientRect();
      if (r.width) {
        take([r.left - box0.left - 2, r.top - box0.top - 2, r.right - box0.left + 2, r.bottom - box0.top + 2]);
      }
    });
    var order = this.labelOrder();
    var bounds = map.getBounds();
    var most = Math.max(20, Math.round((size.x * size.y) / 6000)); // a readable density, whatever the screen
    var count = 0;
    for (var i = 0; i < order.length && count < most; i++) {
      var layer = order[i];
      var p = layer.feature.properties;
      var at = L.latLng(p.lp[1], p.lp[0]);
      if (!bounds.contains(at)) {
        continue;
      }
      var extent = layer.getBounds();
      var sw = map.latLngToContainerPoint(extent.getSouthWest());
      var ne = map.latLngToContainerPoint(extent.getNorthEast());
      if (ne.x - sw.x < MIN_LABELLED_PX || sw.y - ne.y < MIN_LABELLED_PX / 2) {
        continue; // a speck on screen: naming it would only clutter
      }
      var pt = map.latLngToContainerPoint(at);
      var width = Math.ceil(String(p.n).length * 6.4) + 8;
      var box = null;
      for (var k = 0; k < LABEL_SHIFTS.length && !box; k++) {
        var x = pt.x + LABEL_SHIFTS[k][0] * (width / 2 + 3);
        var y = pt.y + LABEL_SHIFTS[k][1] * (LABEL_HEIGHT + 2);
        var tried = [x - width / 2, y - LABEL_HEIGHT / 2, x + width / 2, y + LABEL_HEIGHT / 2];
        if (tried[0] >= 0 && tried[1] >= 0 && tried[2] <= size.x && tried[3] <= size.y && free(tried)) {
          box = tried;
        }
      }
      if (!box) {
        continue;
      }
      take(box);
      count++;
      L.marker(map.containerPointToLatLng([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2]), {
        pane: "kantongLabel",
        interactive: false,
        keyboard: false,
        icon: textIcon("kantong-label-kel", p.n, width, LABEL_HEIGHT),
      }).addTo(this.labels);
    }
    if (this.base && map.hasLayer(this.base.group)) {
      this.drawBaseLabels({ free: free, take: take, size: size, bounds: bounds, most: most });
    }
  };

  /* Basemap names after the kelurahan names, in the free space left: places by importance and zoom
     (a place named like a kelurahan is already named), then road names along the larger roads. */
  Kantong.prototype.drawBaseLabels = function (room) {
    var map = this.map;
    var zoom = map.getZoom();
    var base = this.base;
    var count = 0;
    var self = this;
    function place(at, width, height, shifts) {
      var pt = map.latLngToContainerPoint(at);
      for (var k = 0; k < shifts.length; k++) {
        var x = pt.x + shifts[k][0] * (width / 2 + 3);
        var y = pt.y + shifts[k][1] * (height + 2);
        var box = [x - width / 2, y - height / 2, x + width / 2, y + height / 2];
        if (box[0] >= 0 && box[1] >= 0 && box[2] <= room.size.x && box[3] <= room.size.y && room.free(box)) {
          room.take(box);
          return map.containerPointToLatLng([x, y]);
        }
      }
      return null;
    }
    base.data.places.forEach(function (p) {
      if (count >= room.most || p[2] > zoom || base.kelurahan[p[3].toLowerCase()]) {
        return;
      }
      var at = L.latLng(p[1], p[0]);
      if (!room.bounds.contains(at)) {
        return;
      }
      var big = p[4] === "kota" || p[4] === "kota_kecil";
      var width = Math.ceil(p[3].length * (big ? 7.6 : 6)) + 8;
      var where = place(at, width, LABEL_HEIGHT, LABEL_SHIFTS);
      if (where) {
        count++;
        L.marker(where, {
          pane: "kantongLabel",
          interactive: false,
          keyboard: false,
          icon: textIcon("kantong-label-tempat", p[3], width, LABEL_HEIGHT, "kantong-tempat-" + p[4]),
        }).addTo(self.labels);
      }
    });
    if (zoom < base.data.roadZoom) {
      return;
    }
    base.data.roads.forEach(function (r) {
      var at = L.latLng(r[1], r[0]);
      if (!room.bounds.contains(at)) {
        return;
      }
      var width = Math.ceil(r[3].length * 5.6) + 6;
      var rad = (r[2] * Math.PI) / 180;
      // the box of the turned text, for the overlap test
      var w = Math.abs(width * Math.cos(rad)) + Math.abs(12 * Math.sin(rad));
      var h = Math.abs(width * Math.sin(rad)) + Math.abs(12 * Math.cos(rad));
      if (!place(at, w, h, [[0, 0]])) {
        return;
      }
      L.marker(at, {
        pane: "kantongLabel",
        interactive: false,
        keyboard: false,
        icon: L.divIcon({
          className: "kantong-label-jalan-icon",
          html:
            '<div class="kantong-label-jalan" style="width:' + width + "px;transform:rotate(" + r[2] + 'deg)">' +
            esc(r[3]) + "</div>",
          iconSize: [width, 12],
          iconAnchor: [width / 2, 6],
        }),
      }).addTo(self.labels);
    });
  };

  /* Kelurahan in label order (computed once): ranked ones by rank, then the rest by size. */
  Kantong.prototype.labelOrder = function () {
    if (!this.order) {
      var self = this;
      var keyed = this.layer.getLayers().map(function (layer) {
        return { layer: layer, rank: layer.feature.properties.r, area: self.area(layer) };
      });
      keyed.sort(function (a, b) {
        if ((a.rank === null) !== (b.rank === null)) {
          return a.rank === null ? 1 : -1;
        }
        return a.rank !== b.rank ? a.rank - b.rank : b.area - a.area;
      });
      this.order = keyed.map(function (k) {
        return k.layer;
      });
    }
    return this.order;
  };

  /* Squared degrees of a layer's bounds: a cheap "larger first" for label order. */
  Kantong.prototype.area = function (layer) {
    var b = layer.getBounds();
    return (b.getEast() - b.getWest()) * (b.getNorth() - b.getSouth());
  };

  Kantong.prototype.style = function (feature) {
    var theme = this.data.themes[this.current];
    var cls = feature.properties.c[this.current];
    return {
      fillColor: cls < 0 ? this.data.nodata : theme.colors[cls],
      color: "#555555",
      weight: this.detailed() ? 1 : 0.3,
      fillOpacity: this.fillOpacity,
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
      (p.kc ? "<div>Kelurahan/desa di Kecamatan " + esc(p.kc) + "</div>" : "") +
      "<div>" + esc(this.data.profile[0]) + ": " + esc(p.v[0]) + "</div>" +
      "<div>" + esc(theme.label) + ": <b>" + esc(p.t[this.current]) + "</b></div>" +
      '<div class="kantong-catatan">Klik untuk profil kelurahan</div>'
    );
  };

  Kantong.prototype.popup = function (feature) {
    var p = feature.properties;
    var rows = [["Kecamatan", p.kc || "–"]];
    this.data.profile.forEach(function (label, i) {
      rows.push([label, p.v[i]]);
    });
    this.data.themes.forEach(function (theme, i) {
      if (theme.profile) {
        rows.push([theme.label, p.t[i]]);
      }
    });
    if (this.data.pockets.length) {
      var ranks = this.data.pockets
        .filter(function (pocket) {
          return p.k.indexOf(pocket.id) >= 0;
        })
        .map(function (pocket) {
          return pocket.r;
        });
      rows.push(["Kantong kemiskinan di sini", ranks.length ? "no. " + ranks.join(", ") : "tidak ada"]);
    }
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
      if (!k.n) {
        return; // a kecamatan without a name gets no label (its code is never shown as a name)
      }
      L.marker([k.p[1], k.p[0]], {
        interactive: false,
        keyboard: false,
        icon: textIcon("kantong-label", k.n, 160, 16),
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

  /* Pockets: an outline (white halo, dark core) that lets the theme show through and never takes a click;
     each pocket's details open from its numbered badge. */
  Kantong.prototype.pockets = function () {
    var group = L.layerGroup();
    var records = this.data.pockets;
    var shapes = features(
      records.map(function (r) {
        return { id: r.id, g: r.g };
      })
    );
    [
      { color: this.data.pocketColors[1], weight: 6, opacity: 0.9 }, // halo
      { color: this.data.pocketColors[0], weight: 3, opacity: 1 },
    ].forEach(function (stroke) {
      L.geoJson(shapes, {
        pane: "kantongKantong",
        interactive: false,
        style: function () {
          return L.extend({ fill: false, className: "kantong-pocket" }, stroke);
        },
      }).addTo(group);
    });
    records.forEach(function (r) {
      var badge = L.marker([r.b[1], r.b[0]], {
        title: "Kantong " + r.r,
        keyboard: true,
        riseOnHover: true,
        icon: textIcon("kantong-label-kantong", r.r, 26, 18),
      });
      badge.bindPopup(
        '<div class="kantong-profil"><h3>Kantong kemiskinan no. ' + esc(r.r) + "</h3><table>" +
          [
            ["Kelurahan", r.kel],
            ["Jumlah KK", r.kk],
            ["KK miskin & rentan", r.m],
            ["Persentase miskin", r.p],
            ["Luas", r.a],
          ]
            .map(function (row) {
              return "<tr><td>" + esc(row[0]) + '</td><td class="angka">' + esc(row[1]) + "</td></tr>";
            })
            .join("") + "</table></div>",
        { className: "kantong-popup", maxWidth: 320 }
      );
      badge.addTo(group);
    });
    var self = this;
    group.on("add remove", function () {
      self.placeLabels();
    });
    return group;
  };

  /* H3 cells, built the first time a planner turns them on (a regency has thousands), on one canvas. */
  Kantong.prototype.cells = function () {
    var spec = this.data.cells;
    var self = this;
    var group = L.layerGroup();
    group.once("add", function () {
      var styles = spec.colors.map(function (color) {
        return { fillColor: color, color: "#ffffff", weight: 0.5, fillOpacity: 0.8, className: "kantong-sel" };
      });
      self.cellLayer = L.geoJson(features(spec.records), {
        pane: "kantongSel",
        renderer: L.canvas({ pane: "kantongSel", padding: 0.2, tolerance: 2 }),
        style: function (feature) {
          return styles[feature.properties.c];
        },
      });
      // one tooltip for all cells, its text made when shown (a regency has thousands of cells)
      self.cellLayer.bindTooltip(
        function (layer) {
          var p = layer.feature.properties;
          return (
            "<div><b>Sel H3</b>: " + esc(spec.labels[p.c]) + "</div><div>Jumlah KK: " + esc(p.kk) +
            "</div><div>Persentase miskin: " + esc(p.p) + "</div>"
          );
        },
        { sticky: true, className: "kantong-tooltip" }
      );
      self.cellLayer.addTo(group);
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

  /* Choose theme number i, as a click on its radio entry would. */
  Kantong.prototype.setTheme = function (i) {
    var inputs = this.control.getContainer().querySelectorAll(".leaflet-control-layers-base input");
    if (inputs[i] && !inputs[i].checked) {
      inputs[i].click();
    }
  };

  /* Kelurahan number i (order of the map's data): zoom to it and open its profile. */
  Kantong.prototype.select = function (i) {
    var layer = this.layer.getLayers()[i];
    if (layer) {
      this.closeDrawers();
      this.show(layer);
      this.open(layer);
    }
  };

  Kantong.prototype.showLegend = function (selector, show) {
    document.querySelectorAll(".kantong-legend-blok" + selector).forEach(function (el) {
      el.style.display = show ? "" : "none";
    });
    this.fitControls();
  };

  /* The layer list and the legend share the right edge: the list scrolls above the legend, never under it
     (a tall legend, such as the Gi* classes, hid the list's last entries). Phones use drawers instead. */
  Kantong.prototype.fitControls = function () {
    var list = this.map.getContainer().querySelector(".leaflet-control-layers");
    var legend = document.getElementById("kantong-legend");
    if (!list) {
      return;
    }
    list.style.maxHeight = "";
    list.style.boxSizing = "border-box"; // the height set below includes padding and border
    if (!legend || window.innerWidth <= 640 || !legend.offsetHeight) {
      return;
    }
    var top = legend.getBoundingClientRect().top - 8;
    var box = list.getBoundingClientRect();
    if (box.bottom > top) {
      list.style.maxHeight = Math.max(120, top - box.top) + "px";
    }
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
      var full = (p.kc ? p.n + " (" + p.kc + ")" : p.n).toLowerCase();
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
    var left = panel && !PHONE.matches ? panel.offsetWidth + 20 : 10;
    if (PHONE.matches || PRINT.matches) {
      right = 10;
    }
    this.map.fitBounds(bounds, {
      maxZoom: maxZoom,
      animate: false,
      paddingTopLeft: [left, PHONE.matches ? 60 : 20],
      paddingBottomRight: [right + (PHONE.matches ? 0 : 20), 20],
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
              var props = layer.feature.properties;
              option.value = props.kc ? props.n + " (" + props.kc + ")" : props.n;
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
            self.open(found);
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

  /* The offline basemap (OpenStreetMap extract, kantong-peta-dasar): water, waterways, railways and roads on
     a canvas under the kelurahan, public places as small icons from a zoom on, names placed with the
     kelurahan names. Classes appear from their zoom on. The attribution stays on the map. */
  Kantong.prototype.basemap = function () {
    var self = this;
    var map = this.map;
    var element = document.getElementById("kantong-peta-dasar");
    var group = L.layerGroup();
    if (!element) {
      return group;
    }
    var data = JSON.parse(element.textContent);
    map.createPane("kantongDasar").style.zIndex = 250; // above tiles (200), under the kelurahan (400)
    map.getPane("kantongDasar").style.pointerEvents = "none";
    map.createPane("kantongFasilitas").style.zIndex = 430;
    var renderer = L.canvas({ pane: "kantongDasar", padding: 0.3 });
    var common = { pane: "kantongDasar", renderer: renderer, interactive: false };
    var land = L.rectangle(
      [
        [data.box[1], data.box[0]],
        [data.box[3], data.box[2]],
      ],
      L.extend({ stroke: false, fillColor: data.land, fillOpacity: 1 }, common)
    );
    L.stamp(land); // a layer group adds its layers in id order, and the canvas draws them in that order: land first
    var water = L.geoJson(
      { type: "MultiPolygon", coordinates: [].concat.apply([], data.water.map(decode)) },
      L.extend({ style: { stroke: false, fillColor: data.waterColor, fillOpacity: 1 } }, common)
    );
    var classes = data.lines.map(function (c) {
      var layer = L.geoJson(
        { type: "MultiLineString", coordinates: c.g.map(decodeLine) },
        L.extend(
          {
            style: {
              color: c.c,
              weight: c.w,
              opacity: 1,
              lineCap: "round",
              lineJoin: "round",
              dashArray: c.d ? "6 4" : null,
            },
          },
          common
        )
      );
      return { zoom: c.z, layer: layer };
    });
    var facilities = L.layerGroup(
      data.facilities.map(function (f) {
        var kind = data.kinds[f[2]];
        var text = kind[2] + (f[3] ? ": " + f[3] : "");
        return L.marker([f[1], f[0]], {
          pane: "kantongFasilitas",
          keyboard: false,
          title: "",
          icon: L.divIcon({
            className: "kantong-fasilitas-icon",
            html: '<div class="kantong-fasilitas" style="background:' + kind[1] + '">' + esc(kind[0]) + "</div>",
            iconSize: [16, 16],
            iconAnchor: [8, 8],
          }),
        }).bindTooltip(esc(text), { className: "kantong-tooltip", direction: "top", offset: [0, -8] });
      })
    );
    var kelurahan = {};
    this.data.kel.forEach(function (k) {
      kelurahan[String(k.n).toLowerCase()] = true;
    });
    this.base = { group: group, data: data, kelurahan: kelurahan };
    group.addLayer(land);
    group.addLayer(water);
    function byZoom() {
      var zoom = map.getZoom();
      classes.forEach(function (c) {
        if (zoom >= c.zoom) {
          group.addLayer(c.layer);
        } else {
          group.removeLayer(c.layer);
        }
      });
      if (zoom >= data.facilityZoom) {
        group.addLayer(facilities);
      } else {
        group.removeLayer(facilities);
      }
    }
    byZoom();
    map.on("zoomend", function () {
      if (map.hasLayer(group)) {
        byZoom();
      }
    });
    function shown(on) {
      self.fillOpacity = on ? 0.6 : 0.75;
      self.restyle();
    }
    group.on("add", function () {
      byZoom();
      shown(true);
    });
    group.on("remove", function () {
      shown(false);
    });
    if (map.attributionControl) {
      map.attributionControl.addAttribution(esc(data.attribution)); // always visible, the layer on or off
    }
    return group;
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

  var ICON_INFO =
    '<svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true"><circle cx="8" cy="8" r="7" fill="none" ' +
    'stroke="#333" stroke-width="1.6"/><path d="M8 7v5M8 4v1.5" stroke="#333" stroke-width="1.8"/></svg>';
  var ICON_LEGEND =
    '<svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true"><path d="M2 3h4v3H2zM2 10h4v3H2z" fill="#fd8d3c"/>' +
    '<path d="M8 4.5h6M8 11.5h6" stroke="#333" stroke-width="1.6"/></svg>';

  /* Phone: the panel and the legend are drawers behind two buttons; the layer list is a button too. */
  Kantong.prototype.addDrawers = function (control) {
    var self = this;
    var panel = document.getElementById("kantong-panel");
    var legend = document.getElementById("kantong-legend");
    var Drawers = L.Control.extend({
      options: { position: "topleft" },
      onAdd: function () {
        var bar = L.DomUtil.create("div", "leaflet-bar kantong-laci");
        button(bar, "kantong-buka-panel", "Ringkasan dan prioritas", ICON_INFO, function () {
          self.toggleDrawer(panel);
        });
        button(bar, "kantong-buka-legenda", "Legenda", ICON_LEGEND, function () {
          self.toggleDrawer(legend);
        });
        L.DomEvent.disableClickPropagation(bar);
        return bar;
      },
    });
    new Drawers().addTo(this.map);
    panel.querySelector(".kantong-tutup").addEventListener("click", function () {
      panel.classList.remove("terbuka");
    });
    function layout() {
      if (PHONE.matches) {
        control.collapse();
      } else {
        control.expand();
        self.closeDrawers();
      }
    }
    this.map.on("click", function () {
      if (PHONE.matches) {
        control.collapse();
      }
    });
    PHONE.addEventListener("change", layout);
    layout();
  };

  Kantong.prototype.toggleDrawer = function (el) {
    var open = !el.classList.contains("terbuka");
    this.closeDrawers();
    this.control.collapse();
    el.classList.toggle("terbuka", open);
  };

  Kantong.prototype.closeDrawers = function () {
    document.querySelectorAll(".kantong-panel.terbuka, .kantong-legend.terbuka").forEach(function (el) {
      el.classList.remove("terbuka");
    });
  };

  /* Leaflet's own English words, in Indonesian. */
  Kantong.prototype.translate = function (control) {
    var map = this.map;
    if (map.zoomControl) {
      map.removeControl(map.zoomControl);
    }
    map.zoomControl = L.control
      .zoom({ position: "topleft", zoomInTitle: "Perbesar", zoomOutTitle: "Perkecil" })
      .addTo(map);
    var toggle = control.getContainer().querySelector(".leaflet-control-layers-toggle");
    if (toggle) {
      toggle.title = "Lapisan peta";
      toggle.setAttribute("aria-label", "Lapisan peta");
    }
    if (map.attributionControl) {
      map.attributionControl.setPrefix(LEAFLET_PREFIX);
    }
    map.on("popupopen", function (e) {
      var close = e.popup.getElement().querySelector(".leaflet-popup-close-button");
      if (close) {
        close.setAttribute("aria-label", "Tutup");
        close.title = "Tutup";
      }
    });
  };

  /* Links in the panel: a kelurahan name opens its profile, a programme switches to its theme. */
  Kantong.prototype.bindPanel = function () {
    var self = this;
    document.getElementById("kantong-panel").addEventListener("click", function (e) {
      var link = e.target.closest("a[data-kel], a[data-tema]");
      if (!link) {
        return;
      }
      e.preventDefault();
      if (link.hasAttribute("data-tema")) {
        self.setTheme(Number(link.getAttribute("data-tema")));
      } else {
        self.select(Number(link.getAttribute("data-kel")));
      }
    });
  };

  /* North arrow, shown on paper (the screen has the scale bar only). */
  Kantong.prototype.addNorth = function () {
    var North = L.Control.extend({
      options: { position: "bottomleft" },
      onAdd: function () {
        var box = L.DomUtil.create("div", "kantong-utara");
        box.innerHTML =
          '<svg viewBox="0 0 24 34" width="24" height="34" role="img" aria-label="Arah utara">' +
          '<path d="M12 2 L20 24 L12 19 L4 24 Z" fill="#222"/><text x="12" y="33" font-size="9" ' +
          'text-anchor="middle" font-weight="700">U</text></svg>';
        return box;
      },
    });
    new North().addTo(this.map);
  };

  /* Paper: the whole region on the page, its names placed again for the page's size. */
  Kantong.prototype.addPrint = function () {
    var self = this;
    var before = null;
    function prepare() {
      if (before) {
        return;
      }
      before = { center: self.map.getCenter(), zoom: self.map.getZoom() };
      self.map.closePopup();
      self.map.invalidateSize({ pan: false });
      var panel = document.getElementById("kantong-panel");
      var legend = document.getElementById("kantong-legend");
      var snap = self.map.options.zoomSnap;
      self.map.options.zoomSnap = 0.1; // fill the page, not the nearest whole zoom level
      self.map.fitBounds(self.layer.getBounds(), {
        animate: false,
        maxZoom: 16,
        // between the panel and the legend: on paper nothing may lie under them
        paddingTopLeft: [(panel ? panel.offsetWidth : 0) + 12, 8],
        paddingBottomRight: [(legend ? legend.offsetWidth : 0) + 12, 8],
      });
      self.map.options.zoomSnap = snap;
      self.drawLabels();
    }
    function restore() {
      if (!before) {
        return;
      }
      self.map.invalidateSize({ pan: false });
      self.map.setView(before.center, before.zoom, { animate: false });
      before = null;
    }
    PRINT.addEventListener("change", function (e) {
      return e.matches ? prepare() : restore();
    });
    window.addEventListener("beforeprint", prepare);
    window.addEventListener("afterprint", restore);
  };

  /* Controls that need the finished layer control: search, buttons, scale, headings, legends. */
  Kantong.prototype.finish = function (control) {
    var self = this;
    this.control = control;
    this.translate(control);
    this.addSearch();
    this.addButtons();
    this.addDrawers(control);
    L.control.scale({ imperial: false, position: "bottomleft" }).addTo(this.map);
    this.addNorth();
    this.addHeadings(control);
    this.bindPanel();
    this.addPrint();
    this.map.on("overlayadd", function (e) {
      self.showLegend('[data-layer="' + CSS.escape(e.name) + '"]', true);
      self.placeLabels();
    });
    this.map.on("overlayremove", function (e) {
      self.showLegend('[data-layer="' + CSS.escape(e.name) + '"]', false);
      self.placeLabels();
    });
    this.fit(this.layer.getBounds(), 18); // again: the view was set before the layer control and the phone layout
    this.fitControls();
    window.addEventListener("resize", function () {
      self.fitControls();
    });
    this.drawLabels();
    window.kantongSiap = performance.now(); // drawn and interactive (the benchmark reads it)
  };

  window.Kantong = Kantong;
  window.Kantong.esc = esc;
})();
