// spatialsplat viewer: the Gaussians of one scene drawn as splats with WebGL2, written by hand (no dependencies).
// Part of spatialsplat (Apache-2.0). The page embeds its data (see spatialsplat/viewer.py, chapter 12a): a JSON
// header and one base64 blob of little-endian arrays. The splat maths follows spatialsplat.splatting (gsplat 1.5.3's
// classic rules): EWA projection with the clamped Jacobian, eps2d = 0.3 on the 2D covariance's diagonal, a box of at
// most 3.33 sigma, alpha = min(0.999, o exp(-sigma)) skipped below 1/255, front-to-back compositing in depth order.
'use strict';
(function () {
  const ALPHA_THRESHOLD = 1 / 255, RADIUS_EXTEND = 3.33, TW = 2048;   // data textures are TW Gaussians wide
  const FIELD_NAMES = { colour: 'colour', instance: 'instance (PCA)', semantic: 'semantic labels', importance: 'importance' };
  const CAMERA_COLOURS = [[1.0, 0.6, 0.1], [0.2, 0.8, 1.0], [0.6, 1.0, 0.3], [1.0, 0.3, 0.7]];
  const DIMMED = [0.18, 0.18, 0.18];                                   // semantic view: Gaussians that miss the query
  const $ = id => document.getElementById(id);

  // ---------- the payload ----------
  const EXP = new Float32Array(32);
  for (let e = 0; e < 32; e++) EXP[e] = Math.pow(2, e - 15);
  function halfToFloat(h16) {
    const out = new Float32Array(h16.length);
    for (let i = 0; i < h16.length; i++) {
      const h = h16[i], s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
      out[i] = e === 0 ? s * f * 5.960464477539063e-8 : e === 31 ? (f ? NaN : s * Infinity) : s * (1 + f / 1024) * EXP[e];
    }
    return out;
  }
  function decodePayload(text) {
    const doc = JSON.parse(text);
    if (doc.format !== 'spatialsplat-viewer' || doc.version !== 1) throw new Error(`unknown payload format ${doc.format} v${doc.version}`);
    const bin = atob(doc.blob), bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    const arrays = {}, kinds = { float32: Float32Array, uint8: Uint8Array, uint16: Uint16Array, uint32: Uint32Array, float16: Uint16Array };
    for (const [name, a] of Object.entries(doc.arrays)) {
      const T = kinds[a.dtype];
      if (!T) throw new Error(`array ${name}: unknown dtype ${a.dtype}`);
      const raw = new T(bytes.buffer, a.offset, a.nbytes / T.BYTES_PER_ELEMENT);
      arrays[name] = a.dtype === 'float16' ? halfToFloat(raw) : raw;
    }
    return { meta: doc.meta, arrays };
  }

  // ---------- small linear algebra (3x3 row-major arrays) ----------
  const mul3 = (A, B) => { const C = new Array(9).fill(0); for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) C[3 * i + j] += A[3 * i + k] * B[3 * k + j]; return C; };
  const tr3 = A => [A[0], A[3], A[6], A[1], A[4], A[7], A[2], A[5], A[8]];
  const mv3 = (A, v) => [0, 1, 2].map(i => A[3 * i] * v[0] + A[3 * i + 1] * v[1] + A[3 * i + 2] * v[2]);
  const col = (A, j) => [A[j], A[3 + j], A[6 + j]];
  const rot3 = vm => [vm[0], vm[1], vm[2], vm[4], vm[5], vm[6], vm[8], vm[9], vm[10]];
  function viewmatFrom(R, t) { return [R[0], R[1], R[2], t[0], R[3], R[4], R[5], t[1], R[6], R[7], R[8], t[2], 0, 0, 0, 1]; }
  function cameraCentre(vm) { const R = rot3(vm), t = [vm[3], vm[7], vm[11]]; return mv3(tr3(R), t).map(x => -x); }

  // ---------- WebGL ----------
  const SPLAT_VS = `#version 300 es
precision highp float; precision highp int; precision highp sampler2D;
uniform sampler2D u_geo, u_covA, u_covB, u_sh, u_value;
uniform mat3 u_R; uniform vec3 u_t, u_campos; uniform vec4 u_K; uniform vec2 u_size;
uniform int u_shDegree, u_source, u_dim; uniform float u_eps2d, u_near, u_far, u_base;
in uint a_index; in vec2 a_corner;
flat out vec2 v_mean; flat out vec3 v_conic; flat out float v_opacity; flat out vec3 v_color;
ivec2 at(int i, int per, int k) { return ivec2((i % ${TW}) * per + k, i / ${TW}); }
void main() {
  gl_Position = vec4(0.0, 0.0, 2.0, 1.0);                                // outside the clip volume: culled
  int i = int(a_index);
  vec4 g = texelFetch(u_geo, at(i, 1, 0), 0);
  vec3 mc = u_R * g.xyz + u_t;
  if (mc.z < u_near || mc.z > u_far || g.w < ${ALPHA_THRESHOLD}) return;
  vec4 ca = texelFetch(u_covA, at(i, 1, 0), 0), cb = texelFetch(u_covB, at(i, 1, 0), 0);
  mat3 S = mat3(ca.x, ca.y, ca.z, ca.y, ca.w, cb.x, ca.z, cb.x, cb.y);
  float fx = u_K.x, fy = u_K.y, cx = u_K.z, cy = u_K.w, W = u_size.x, H = u_size.y, z = mc.z;
  float xz = mc.x / z, yz = mc.y / z;
  float tx = min(max(xz, -(cx / fx + 0.15 * W / fx)), (W - cx) / fx + 0.15 * W / fx);
  float ty = min(max(yz, -(cy / fy + 0.15 * H / fy)), (H - cy) / fy + 0.15 * H / fy);
  mat3 J = mat3(fx / z, 0.0, 0.0, 0.0, fy / z, 0.0, -fx * tx / z, -fy * ty / z, 0.0);   // columns; row 3 is zero
  mat3 T = J * u_R;
  mat3 cov = T * S * transpose(T);
  float a = cov[0][0] + u_eps2d, b = 0.5 * (cov[1][0] + cov[0][1]), c = cov[1][1] + u_eps2d;
  float det = a * c - b * b;
  if (!(det > 0.0)) return;
  float extend = min(sqrt(2.0 * log(max(g.w, ${ALPHA_THRESHOLD}) * 255.0)), ${RADIUS_EXTEND});
  vec2 r = vec2(ceil(extend * sqrt(max(a, 0.0))), ceil(extend * sqrt(max(c, 0.0))));
  vec2 m = vec2(fx * xz + cx, fy * yz + cy);
  if (r.x <= 0.0 && r.y <= 0.0) return;
  if (m.x + r.x <= 0.0 || m.x - r.x >= W || m.y + r.y <= 0.0 || m.y - r.y >= H) return;
  vec3 colour;
  if (u_source == 0) {                                                   // SH colour towards this camera
    vec4 s0 = texelFetch(u_sh, at(i, 3, 0), 0);
    colour = 0.28209479177387814 * s0.xyz;
    if (u_shDegree >= 1) {
      vec4 s1 = texelFetch(u_sh, at(i, 3, 1), 0), s2 = texelFetch(u_sh, at(i, 3, 2), 0);
      vec3 d = normalize(g.xyz - u_campos);
      vec3 c1 = vec3(s0.w, s1.x, s1.y), c2 = vec3(s1.z, s1.w, s2.x), c3 = s2.yzw;
      colour += 0.4886025119029199 * (-d.y * c1 + d.z * c2 - d.x * c3);
    }
    colour = max(colour + 0.5, 0.0);
  } else if (u_source == 1) colour = texelFetch(u_value, at(i, 1, 0), 0).rgb;   // a field's colour per Gaussian
  else colour = vec3(equal(vec3(cb.z), vec3(u_base, u_base + 1.0, u_base + 2.0)));  // one-hot label bucket
  if (u_dim == 1 && cb.w < 0.5) colour = vec3(dot(colour, vec3(0.299, 0.587, 0.114)) * 0.25);
  v_mean = m; v_conic = vec3(c / det, -b / det, a / det); v_opacity = g.w; v_color = colour;
  vec2 p = m + a_corner * r;
  gl_Position = vec4(2.0 * p.x / W - 1.0, 1.0 - 2.0 * p.y / H, 0.0, 1.0);
}`;
  const SPLAT_FS = `#version 300 es
precision highp float;
uniform vec2 u_size;
flat in vec2 v_mean; flat in vec3 v_conic; flat in float v_opacity; flat in vec3 v_color;
out vec4 o;
void main() {
  vec2 d = v_mean - vec2(gl_FragCoord.x, u_size.y - gl_FragCoord.y);   // pixel centres, y down
  float sigma = 0.5 * (v_conic.x * d.x * d.x + v_conic.z * d.y * d.y) + v_conic.y * d.x * d.y;
  float alpha = min(0.999, v_opacity * exp(-sigma));
  if (sigma < 0.0 || alpha < ${ALPHA_THRESHOLD}) discard;
  o = vec4(v_color * alpha, alpha);                                     // blended front to back (under operator)
}`;
  const QUAD_VS = `#version 300 es
void main() { vec2 p = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2)); gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0); }`;
  const RESOLVE_FS = `#version 300 es
precision highp float; precision highp sampler2D;
uniform sampler2D u_acc, u_prev; uniform int u_first; uniform float u_base;
out vec4 o;
void main() {
  ivec2 q = ivec2(gl_FragCoord.xy);
  vec4 a = texelFetch(u_acc, q, 0);
  vec4 p = u_first == 1 ? vec4(0.0, -1.0, a.w, 0.0) : texelFetch(u_prev, q, 0);
  for (int k = 0; k < 3; k++) if (a[k] > p.x) { p.x = a[k]; p.y = u_base + float(k); }   // argmax, first wins ties
  p.z = a.w; o = p;
}`;
  const DISPLAY_FS = `#version 300 es
precision highp float; precision highp sampler2D;
uniform sampler2D u_acc, u_best, u_palette; uniform int u_mode; uniform vec3 u_bg;
out vec4 o;
void main() {
  ivec2 q = ivec2(gl_FragCoord.xy);
  if (u_mode == 0) { vec4 a = texelFetch(u_acc, q, 0); o = vec4(clamp(a.rgb, 0.0, 1.0) + (1.0 - clamp(a.w, 0.0, 1.0)) * u_bg, 1.0); return; }
  vec4 b = texelFetch(u_best, q, 0);
  vec3 c = b.x > 0.0 ? texelFetch(u_palette, ivec2(int(b.y + 0.5), 0), 0).rgb : vec3(0.0);
  float a = clamp(b.z, 0.0, 1.0);
  o = vec4(c * a + (1.0 - a) * u_bg, 1.0);
}`;
  const LINE_VS = `#version 300 es
uniform mat3 u_R; uniform vec3 u_t; uniform vec4 u_K; uniform vec2 u_size; uniform float u_near;
in vec3 a_pos;
void main() {
  vec3 c = u_R * a_pos + u_t;
  gl_Position = vec4(2.0 * (u_K.x * c.x + u_K.z * c.z) / u_size.x - c.z, c.z - 2.0 * (u_K.y * c.y + u_K.w * c.z) / u_size.y, c.z - 2.0 * u_near, c.z);
}`;
  const LINE_FS = `#version 300 es
precision highp float; uniform vec3 u_color; out vec4 o; void main() { o = vec4(u_color, 1.0); }`;

  function program(gl, vs, fs) {
    const p = gl.createProgram();
    for (const [type, src] of [[gl.VERTEX_SHADER, vs], [gl.FRAGMENT_SHADER, fs]]) {
      const s = gl.createShader(type);
      gl.shaderSource(s, src); gl.compileShader(s);
      if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error('shader: ' + gl.getShaderInfoLog(s));
      gl.attachShader(p, s);
    }
    gl.linkProgram(p);
    if (!gl.getProgramParameter(p, gl.LINK_STATUS)) throw new Error('program: ' + gl.getProgramInfoLog(p));
    const u = {};
    for (let k = 0; k < gl.getProgramParameter(p, gl.ACTIVE_UNIFORMS); k++) {
      const name = gl.getActiveUniform(p, k).name.replace(/\[0\]$/, '');
      u[name] = gl.getUniformLocation(p, name);
    }
    return { p, u };
  }
  function dataTexture(gl, data, per, n) {                              // RGBA32F, `per` texels per Gaussian
    const rows = Math.max(1, Math.ceil(n / TW)), full = new Float32Array(TW * per * rows * 4);
    full.set(data.subarray(0, Math.min(data.length, full.length)));
    const t = gl.createTexture();
    gl.bindTexture(gl.TEXTURE_2D, t);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST); gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA32F, TW * per, rows, 0, gl.RGBA, gl.FLOAT, full);
    return t;
  }
  function target(gl, format, w, h) {
    const t = gl.createTexture();
    gl.bindTexture(gl.TEXTURE_2D, t);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST); gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
    gl.texStorage2D(gl.TEXTURE_2D, 1, format, w, h);
    const fb = gl.createFramebuffer();
    gl.bindFramebuffer(gl.FRAMEBUFFER, fb);
    gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, t, 0);
    if (gl.checkFramebufferStatus(gl.FRAMEBUFFER) !== gl.FRAMEBUFFER_COMPLETE) throw new Error('a render target is not renderable');
    gl.bindFramebuffer(gl.FRAMEBUFFER, null);
    return { t, fb };
  }

  // ---------- depth order: stable LSD radix sort of the float bits (z >= 0 sorts like an unsigned int) ----------
  function makeSorter(N) {
    const keys = new Uint32Array(N), keys2 = new Uint32Array(N), ids2 = new Uint32Array(N), counts = new Uint32Array(256);
    const f = new Float32Array(1), u = new Uint32Array(f.buffer);
    return function sort(ids, n, depth) {                                // ids[0..n) in index order -> sorted front to back
      for (let i = 0; i < n; i++) { f[0] = Math.max(depth[ids[i]], 0); keys[i] = u[0]; }
      let kA = keys, kB = keys2, iA = ids, iB = ids2;
      for (let shift = 0; shift < 32; shift += 8) {
        counts.fill(0);
        for (let i = 0; i < n; i++) counts[(kA[i] >>> shift) & 255]++;
        for (let b = 0, s = 0; b < 256; b++) { const c = counts[b]; counts[b] = s; s += c; }
        for (let i = 0; i < n; i++) { const d = counts[(kA[i] >>> shift) & 255]++; kB[d] = kA[i]; iB[d] = iA[i]; }
        [kA, kB, iA, iB] = [kB, kA, iB, iA];
      }
      return iA;                                                         // four passes: the result is back in `ids`
    };
  }

  // ---------- the viewer ----------
  function Viewer(data) {
    const { meta, arrays } = data, N = meta.n;
    const canvas = $('view');
    const gl = canvas.getContext('webgl2', { antialias: false, premultipliedAlpha: false, preserveDrawingBuffer: true, alpha: false });
    if (!gl) throw new Error('this browser has no WebGL2');
    const floatTargets = !!gl.getExtension('EXT_color_buffer_float');
    const floatBlend = floatTargets && !!gl.getExtension('EXT_float_blend');
    const accFormat = floatBlend ? gl.RGBA32F : floatTargets ? gl.RGBA16F : gl.RGBA8;
    const progs = { splat: program(gl, SPLAT_VS, SPLAT_FS), resolve: program(gl, QUAD_VS, RESOLVE_FS),
                    display: program(gl, QUAD_VS, DISPLAY_FS), line: program(gl, LINE_VS, LINE_FS) };
    const fields = ['colour'].concat(arrays.instance_rgb ? ['instance'] : [], arrays.labels ? ['semantic'] : [], arrays.importance ? ['importance'] : []);
    const names = meta.class_names || [], queries = meta.queries || [];
    const S = { field: 'colour', showPruned: false, showCameras: true, query: '', threshold: meta.relevance_threshold ?? 0.5,
                home: 0, az: 0, el: 0, zoom: 1, pan: [0, 0, 0], fixed: null, bg: [0, 0, 0] };
    const stats = { n: N, drawn: 0, frames: 0, lastFrameMs: 0, sortMs: 0, format: accFormat === gl.RGBA32F ? 'RGBA32F' : accFormat === gl.RGBA16F ? 'RGBA16F' : 'RGBA8' };

    // per-Gaussian data: geometry, 3D covariance, SH, field colours
    const means = arrays.means, quats = arrays.quats, scales = arrays.scales, opac = arrays.opacities, imp = arrays.importance;
    const covA = new Float32Array(N * 4), covB = new Float32Array(N * 4);
    for (let i = 0; i < N; i++) {
      let w = quats[4 * i], x = quats[4 * i + 1], y = quats[4 * i + 2], z = quats[4 * i + 3];
      const l = Math.hypot(w, x, y, z) || 1; w /= l; x /= l; y /= l; z /= l;
      const R = [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
                 2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
                 2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)];
      const s = [scales[3 * i], scales[3 * i + 1], scales[3 * i + 2]];
      const M = R.map((v, k) => v * s[k % 3]);                           // R diag(s); Sigma = M M^T
      const dot = (a, b) => M[3 * a] * M[3 * b] + M[3 * a + 1] * M[3 * b + 1] + M[3 * a + 2] * M[3 * b + 2];
      covA.set([dot(0, 0), dot(0, 1), dot(0, 2), dot(1, 1)], 4 * i);
      covB[4 * i] = dot(1, 2); covB[4 * i + 1] = dot(2, 2);
    }
    const shK = meta.sh_coeffs, sh = new Float32Array(N * 12);
    for (let i = 0; i < N; i++) for (let k = 0; k < Math.min(shK, 4) * 3; k++) sh[12 * i + k] = arrays.sh[i * shK * 3 + k];
    const tex = { covA: null, covB: null, geo: null, sh: dataTexture(gl, sh, 3, N), value: {} };
    tex.covA = dataTexture(gl, covA, 1, N);
    const u8rgb = a => { const v = new Float32Array(N * 4); for (let i = 0; i < N; i++) for (let c = 0; c < 3; c++) v[4 * i + c] = a[3 * i + c] / 255; return v; };
    if (arrays.instance_rgb) tex.value.instance = dataTexture(gl, u8rgb(arrays.instance_rgb), 1, N);
    if (imp) {
      const lut = arrays.importance_lut, v = new Float32Array(N * 4);
      for (let i = 0; i < N; i++) { const k = Math.min(255, Math.max(0, Math.round(imp[i] * 255))); for (let c = 0; c < 3; c++) v[4 * i + c] = lut[3 * k + c] / 255; }
      tex.value.importance = dataTexture(gl, v, 1, N);
    }
    const relevance = name => { const j = queries.indexOf(name); return j < 0 ? null : [arrays[`relevance${j}_values`], arrays[`relevance${j}_index`] || null]; };

    // visibility, gated opacity, query matches, label buckets: recomputed when those settings change
    let visible = new Uint32Array(N), nVisible = 0, match = null, nMatch = 0;
    function updateSelection() {
      nVisible = 0;
      const geo = new Float32Array(N * 4), tau = meta.tau;
      for (let i = 0; i < N; i++) {
        const kept = !imp || imp[i] > tau;
        geo.set([means[3 * i], means[3 * i + 1], means[3 * i + 2]], 4 * i);
        geo[4 * i + 3] = !imp || S.showPruned ? opac[i] : Math.fround(opac[i] * imp[i]);   // chapter 3's gate on the kept ones
        if (kept || S.showPruned) visible[nVisible++] = i;
      }
      const q = relevance(S.query);
      match = null; nMatch = 0;
      if (q) {
        match = new Uint8Array(N);
        const [vals, idx] = q;
        for (let k = 0; k < nVisible; k++) { const i = visible[k]; if (vals[idx ? idx[i] : i] > S.threshold) { match[i] = 1; nMatch++; } }
      }
      const K = names.length;
      for (let i = 0; i < N; i++) {
        covB[4 * i + 2] = arrays.labels ? (match && !match[i] ? K : arrays.labels[i] - 1) : -1;   // labels hold label + 1 (0: none)
        covB[4 * i + 3] = match ? match[i] : 1;
      }
      for (const t of [tex.geo, tex.covB]) if (t) gl.deleteTexture(t);
      tex.geo = dataTexture(gl, geo, 1, N); tex.covB = dataTexture(gl, covB, 1, N);
      const pal = new Uint8Array(4 * (K + 1));
      (meta.class_colors || []).forEach((c, k) => pal.set([c[0], c[1], c[2], 255], 4 * k));
      pal.set(DIMMED.map(v => Math.round(v * 255)).concat([255]), 4 * K);
      if (!tex.palette) tex.palette = gl.createTexture();
      gl.bindTexture(gl.TEXTURE_2D, tex.palette);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST); gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
      gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, K + 1, 1, 0, gl.RGBA, gl.UNSIGNED_BYTE, pal);
    }

    // instanced quads: per instance one Gaussian index (sorted), per vertex a corner
    const vao = gl.createVertexArray();
    gl.bindVertexArray(vao);
    const cornerBuf = gl.createBuffer();
    gl.bindBuffer(gl.ARRAY_BUFFER, cornerBuf);
    gl.bufferData(gl.ARRAY_BUFFER, new Float32Array([-1, -1, 1, -1, -1, 1, 1, 1]), gl.STATIC_DRAW);
    const aCorner = gl.getAttribLocation(progs.splat.p, 'a_corner'), aIndex = gl.getAttribLocation(progs.splat.p, 'a_index');
    gl.enableVertexAttribArray(aCorner); gl.vertexAttribPointer(aCorner, 2, gl.FLOAT, false, 0, 0);
    const indexBuf = gl.createBuffer();
    gl.bindBuffer(gl.ARRAY_BUFFER, indexBuf);
    gl.bufferData(gl.ARRAY_BUFFER, N * 4, gl.DYNAMIC_DRAW);
    gl.enableVertexAttribArray(aIndex); gl.vertexAttribIPointer(aIndex, 1, gl.UNSIGNED_INT, 0, 0); gl.vertexAttribDivisor(aIndex, 1);
    gl.bindVertexArray(null);
    const lineVao = gl.createVertexArray(), lineBuf = gl.createBuffer();
    gl.bindVertexArray(lineVao);
    gl.bindBuffer(gl.ARRAY_BUFFER, lineBuf);
    const aPos = gl.getAttribLocation(progs.line.p, 'a_pos');
    gl.enableVertexAttribArray(aPos); gl.vertexAttribPointer(aPos, 3, gl.FLOAT, false, 0, 0);
    gl.bindVertexArray(null);
    const sorter = makeSorter(N), depth = new Float32Array(N), order = new Uint32Array(N);

    // cameras: the input views, an orbit around a pivot, or a fixed camera set by the page's API
    const cams = meta.cameras;
    function homePose(k) {
      const vm = cams[k].viewmat, R = rot3(vm), c = cameraCentre(vm);
      const p = mv3(R, meta.pivot).map((v, j) => v + vm[4 * j + 3]);
      return { Rc: tr3(R), c, d: Math.max(p[2], 1e-6) };             // camera-to-world rotation, centre, pivot depth
    }
    function orbitViewmat() {                                           // as spatialsplat.widgets.orbit_viewmat, from any input view
      const { Rc, c, d } = homePose(S.home), a = S.az * Math.PI / 180, e = S.el * Math.PI / 180;
      const Ry = [Math.cos(a), 0, -Math.sin(a), 0, 1, 0, Math.sin(a), 0, Math.cos(a)];
      const Rx = [1, 0, 0, 0, Math.cos(e), Math.sin(e), 0, -Math.sin(e), Math.cos(e)];
      const R = mul3(Rc, mul3(Ry, Rx)), z0 = col(Rc, 2), z = col(R, 2);
      const pos = [0, 1, 2].map(j => c[j] + d * z0[j] + S.pan[j] - d / S.zoom * z[j]);
      const Rw = tr3(R);
      return viewmatFrom(Rw, mv3(Rw, pos).map(v => -v));
    }
    function currentCamera() {
      if (S.fixed) return S.fixed;
      const w = canvas.width, h = canvas.height, K0 = cams[S.home].K, f = h / cams[S.home].height;
      return { viewmat: orbitViewmat(), K: [K0[0] * f, 0, w / 2, 0, K0[4] * f, h / 2, 0, 0, 1], width: w, height: h };
    }
    function frustumLines(d) {
      const out = [];
      for (const cam of cams) {
        const R = rot3(cam.viewmat), Rc = tr3(R), c = cameraCentre(cam.viewmat), K = cam.K;
        const corners = [[0, 0], [cam.width, 0], [cam.width, cam.height], [0, cam.height]].map(([u, v]) => {
          const x = (u - K[2]) / K[0] * d, y = (v - K[5]) / K[4] * d;
          return mv3(Rc, [x, y, d]).map((q, j) => q + c[j]);
        });
        const segs = [];
        for (let k = 0; k < 4; k++) segs.push(c, corners[k], corners[k], corners[(k + 1) % 4]);
        out.push(new Float32Array(segs.flat()));
      }
      return out;
    }
    const frusta = frustumLines(0.15 * homePose(0).d);

    let targets = null;
    function ensureTargets(w, h) {
      if (targets && targets.w === w && targets.h === h) return;
      if (targets) for (const t of [targets.acc, targets.best0, targets.best1]) { gl.deleteTexture(t.t); gl.deleteFramebuffer(t.fb); }
      const bestFormat = floatTargets ? gl.RGBA32F : gl.RGBA8;
      targets = { w, h, acc: target(gl, accFormat, w, h), best0: target(gl, bestFormat, w, h), best1: target(gl, bestFormat, w, h) };
    }
    function bindTex(prog, name, unit, t) { gl.activeTexture(gl.TEXTURE0 + unit); gl.bindTexture(gl.TEXTURE_2D, t); gl.uniform1i(prog.u[name], unit); }
    function splatPass(cam, source, base) {
      const P = progs.splat, R = rot3(cam.viewmat), K = cam.K;
      gl.bindFramebuffer(gl.FRAMEBUFFER, targets.acc.fb);
      gl.viewport(0, 0, cam.width, cam.height);
      gl.clearColor(0, 0, 0, 0); gl.clear(gl.COLOR_BUFFER_BIT);
      gl.enable(gl.BLEND); gl.blendFuncSeparate(gl.ONE_MINUS_DST_ALPHA, gl.ONE, gl.ONE_MINUS_DST_ALPHA, gl.ONE);
      gl.useProgram(P.p);
      bindTex(P, 'u_geo', 0, tex.geo); bindTex(P, 'u_covA', 1, tex.covA); bindTex(P, 'u_covB', 2, tex.covB); bindTex(P, 'u_sh', 3, tex.sh);
      bindTex(P, 'u_value', 4, source === 1 ? tex.value[S.field] : tex.covA);
      gl.uniformMatrix3fv(P.u.u_R, true, R); gl.uniform3fv(P.u.u_t, [cam.viewmat[3], cam.viewmat[7], cam.viewmat[11]]);
      gl.uniform3fv(P.u.u_campos, cameraCentre(cam.viewmat)); gl.uniform4fv(P.u.u_K, [K[0], K[4], K[2], K[5]]);
      gl.uniform2fv(P.u.u_size, [cam.width, cam.height]);
      gl.uniform1i(P.u.u_shDegree, meta.sh_degree); gl.uniform1i(P.u.u_source, source); gl.uniform1i(P.u.u_dim, match && source !== 2 ? 1 : 0);
      gl.uniform1f(P.u.u_eps2d, meta.eps2d); gl.uniform1f(P.u.u_near, meta.near_plane); gl.uniform1f(P.u.u_far, meta.far_plane);
      gl.uniform1f(P.u.u_base, base);
      gl.bindVertexArray(vao);
      gl.drawArraysInstanced(gl.TRIANGLE_STRIP, 0, 4, stats.drawn);
      gl.bindVertexArray(null);
      gl.disable(gl.BLEND);
    }
    function quad(prog, fb, w, h) {
      gl.bindFramebuffer(gl.FRAMEBUFFER, fb); gl.viewport(0, 0, w, h); gl.useProgram(prog.p); gl.drawArrays(gl.TRIANGLES, 0, 3);
    }
    function draw() {
      const t0 = performance.now(), cam = currentCamera(), w = cam.width, h = cam.height;
      if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
      ensureTargets(w, h);
      // depth of every visible Gaussian in this camera, then the front-to-back order
      const vm = cam.viewmat;
      for (let k = 0; k < nVisible; k++) {
        const i = visible[k];
        depth[i] = vm[8] * means[3 * i] + vm[9] * means[3 * i + 1] + vm[10] * means[3 * i + 2] + vm[11];
        order[k] = i;
      }
      const t1 = performance.now();
      const sorted = sorter(order, nVisible, depth);
      stats.sortMs = performance.now() - t1;
      gl.bindBuffer(gl.ARRAY_BUFFER, indexBuf); gl.bufferSubData(gl.ARRAY_BUFFER, 0, sorted.subarray(0, nVisible));
      stats.drawn = nVisible;
      const D = progs.display;
      if (S.field === 'semantic') {                                     // labels: argmax of blended one-hot weights, 3 classes a pass
        const buckets = names.length + (match ? 1 : 0);
        let prev = targets.best0, next = targets.best1;
        for (let base = 0; base < buckets; base += 3) {
          splatPass(cam, 2, base);
          const Rv = progs.resolve;
          gl.useProgram(Rv.p);
          bindTex(Rv, 'u_acc', 0, targets.acc.t); bindTex(Rv, 'u_prev', 1, prev.t);
          gl.uniform1i(Rv.u.u_first, base === 0 ? 1 : 0); gl.uniform1f(Rv.u.u_base, base);
          quad(Rv, next.fb, w, h);
          [prev, next] = [next, prev];
        }
        gl.useProgram(D.p); bindTex(D, 'u_best', 1, prev.t); bindTex(D, 'u_palette', 2, tex.palette); bindTex(D, 'u_acc', 0, targets.acc.t);
        gl.uniform1i(D.u.u_mode, 1);
      } else {
        splatPass(cam, S.field === 'colour' ? 0 : 1, 0);
        gl.useProgram(D.p); bindTex(D, 'u_acc', 0, targets.acc.t); bindTex(D, 'u_best', 1, targets.best0.t); bindTex(D, 'u_palette', 2, tex.palette);
        gl.uniform1i(D.u.u_mode, 0);
      }
      gl.uniform3fv(D.u.u_bg, S.bg);
      quad(D, null, w, h);
      if (S.showCameras) {
        const L = progs.line, R = rot3(vm), K = cam.K;
        gl.useProgram(L.p);
        gl.uniformMatrix3fv(L.u.u_R, true, R); gl.uniform3fv(L.u.u_t, [vm[3], vm[7], vm[11]]);
        gl.uniform4fv(L.u.u_K, [K[0], K[4], K[2], K[5]]); gl.uniform2fv(L.u.u_size, [w, h]); gl.uniform1f(L.u.u_near, meta.near_plane);
        gl.bindVertexArray(lineVao);
        frusta.forEach((f, k) => {
          gl.bindBuffer(gl.ARRAY_BUFFER, lineBuf); gl.bufferData(gl.ARRAY_BUFFER, f, gl.STREAM_DRAW);
          gl.uniform3fv(L.u.u_color, CAMERA_COLOURS[k % CAMERA_COLOURS.length]);
          gl.drawArrays(gl.LINES, 0, f.length / 3);
        });
        gl.bindVertexArray(null);
      }
      stats.frames++; stats.lastFrameMs = performance.now() - t0;
      if (stats.firstFrameMs === undefined) stats.firstFrameMs = performance.now();
    }

    // ---------- the page ----------
    let dirty = true;
    const redraw = () => { dirty = true; };
    function frame() {
      if (dirty) { dirty = false; try { draw(); showStats(); } catch (e) { fail(e); } }
      requestAnimationFrame(frame);
    }
    function showStats() {
      $('stats').textContent = `${stats.drawn.toLocaleString('en')} of ${N.toLocaleString('en')} Gaussians drawn · ` +
        `${canvas.width}x${canvas.height} · frame ${stats.lastFrameMs.toFixed(1)} ms (sort ${stats.sortMs.toFixed(1)} ms) · ${stats.format}`;
    }
    function showCount() {
      const el = $('count');
      if (!match) { el.textContent = ''; el.dataset.count = ''; return; }
      el.innerHTML = `<b>${nMatch.toLocaleString('en')}</b> of ${nVisible.toLocaleString('en')} Gaussians match “${S.query}” (relevance &gt; ${S.threshold.toFixed(2)})`;
      el.dataset.count = String(nMatch);
    }
    function showLegend() {
      const el = $('legend');
      el.innerHTML = '';
      if (S.field !== 'semantic') return;
      const rows = names.map((n, k) => [n, meta.class_colors[k]]);
      if (match) rows.push([`not “${S.query}”`, DIMMED.map(v => Math.round(v * 255))]);
      for (const [n, c] of rows) {
        const item = document.createElement('div'), sw = document.createElement('span'), label = document.createElement('span');
        item.className = 'item'; sw.className = 'swatch'; sw.style.background = `rgb(${c[0]},${c[1]},${c[2]})`; sw.dataset.rgb = c.slice(0, 3).join(',');
        label.textContent = n; item.append(sw, label); el.append(item);
      }
    }
    function normalisedQuery(text) { return text.trim().toLowerCase().split(/\s+/).join(' '); }
    function setQuery(text, threshold) {
      if (threshold !== undefined) { S.threshold = Number(threshold); $('threshold').value = S.threshold; }
      $('threshold-value').textContent = S.threshold.toFixed(2);
      const q = normalisedQuery(text);
      $('error').textContent = '';
      if (q && queries.indexOf(q) < 0) {
        $('error').textContent = `unknown query “${text.trim()}”: this page knows ${queries.join(', ') || 'no queries'} ` +
                                 '(relevance is computed in Python; write_viewer(queries=...) embeds more)';
        S.query = '';
      } else S.query = q;
      updateSelection(); showCount(); showLegend(); redraw();
    }
    function setField(f) {
      if (fields.indexOf(f) < 0) throw new Error(`unknown field ${f}; this page has ${fields.join(', ')}`);
      S.field = f; $('field').value = f; showLegend(); redraw();
    }
    function fail(e) { $('error').textContent = String(e && e.message || e); console.error(e); }

    // controls
    $('title').textContent = meta.title || 'spatialsplat viewer';
    for (const f of fields) { const o = document.createElement('option'); o.value = f; o.textContent = FIELD_NAMES[f]; $('field').append(o); }
    for (const q of queries) { const o = document.createElement('option'); o.value = q; $('queries').append(o); }
    $('field').addEventListener('change', e => setField(e.target.value));
    $('pruned').disabled = !imp;
    $('pruned').addEventListener('change', e => { S.showPruned = e.target.checked; setQuery(S.query); });
    $('cameras').addEventListener('change', e => { S.showCameras = e.target.checked; redraw(); });
    $('query').addEventListener('change', e => setQuery(e.target.value));
    $('query').addEventListener('keydown', e => { if (e.key === 'Enter') setQuery(e.target.value); });
    $('threshold').addEventListener('input', e => setQuery(S.query, e.target.value));
    cams.forEach((c, k) => {
      const b = document.createElement('button');
      b.textContent = c.name; b.addEventListener('click', () => { S.home = k; resetOrbit(); });
      $('views').append(b);
    });
    function resetOrbit() { S.az = 0; S.el = 0; S.zoom = 1; S.pan = [0, 0, 0]; S.fixed = null; fitCanvas(); redraw(); }
    function fitCanvas() {
      if (S.fixed) return;
      const dpr = window.devicePixelRatio || 1;
      canvas.style.width = ''; canvas.style.height = '';
      canvas.width = Math.max(1, Math.round(canvas.clientWidth * dpr)); canvas.height = Math.max(1, Math.round(canvas.clientHeight * dpr));
    }
    window.addEventListener('resize', () => { fitCanvas(); redraw(); });
    let drag = null;
    canvas.addEventListener('contextmenu', e => e.preventDefault());
    canvas.addEventListener('pointerdown', e => { drag = { x: e.clientX, y: e.clientY, pan: e.button === 2 || e.shiftKey }; canvas.setPointerCapture(e.pointerId); });
    canvas.addEventListener('pointerup', () => { drag = null; });
    canvas.addEventListener('pointermove', e => {
      if (!drag || S.fixed) return;
      const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
      drag.x = e.clientX; drag.y = e.clientY;
      if (drag.pan) {
        const cam = currentCamera(), Rc = tr3(rot3(cam.viewmat)), s = homePose(S.home).d / S.zoom / cam.K[0] * (window.devicePixelRatio || 1);
        const x = col(Rc, 0), y = col(Rc, 1);
        S.pan = S.pan.map((p, j) => p - s * (dx * x[j] + dy * y[j]));
      } else { S.az -= 0.3 * dx; S.el = Math.max(-89, Math.min(89, S.el + 0.3 * dy)); }
      redraw();
    });
    canvas.addEventListener('wheel', e => { e.preventDefault(); S.zoom = Math.max(0.05, Math.min(50, S.zoom * Math.exp(-0.001 * e.deltaY))); redraw(); }, { passive: false });
    canvas.addEventListener('dblclick', () => { S.home = 0; resetOrbit(); });

    $('threshold').value = S.threshold;
    updateSelection(); fitCanvas(); setQuery(''); showLegend();
    requestAnimationFrame(frame);

    // an API for scripts and tests: exact cameras, pixels, timings
    return {
      meta, fields, stats,
      setField, setQuery,
      setPruned(on) { $('pruned').checked = !!on; S.showPruned = !!on; setQuery(S.query); },
      setCameras(on) { $('cameras').checked = !!on; S.showCameras = !!on; redraw(); },
      setOrbit(az, el, zoom, home = 0) { S.fixed = null; S.home = home; S.az = az; S.el = el; S.zoom = zoom; S.pan = [0, 0, 0]; fitCanvas(); redraw(); },
      setCamera(viewmat, K, width, height) {                            // a fixed camera: world-to-camera 4x4 and 3x3 K (row-major), pixels
        S.fixed = { viewmat: Array.from(viewmat), K: Array.from(K), width, height };
        canvas.style.width = `${width}px`; canvas.style.height = `${height}px`; redraw();
      },
      viewmat() { return currentCamera().viewmat; },
      state() { return { field: S.field, query: S.query, threshold: S.threshold, showPruned: S.showPruned, visible: nVisible, matches: match ? nMatch : null }; },
      render() { draw(); showStats(); dirty = false; },
      pixels() {                                                         // RGB bytes, top row first, as base64
        draw(); dirty = false;
        const w = canvas.width, h = canvas.height, px = new Uint8Array(w * h * 4);
        gl.bindFramebuffer(gl.FRAMEBUFFER, null); gl.readPixels(0, 0, w, h, gl.RGBA, gl.UNSIGNED_BYTE, px);
        let s = '';
        for (let y = h - 1; y >= 0; y--) for (let x = 0; x < w; x++) { const o = 4 * (y * w + x); s += String.fromCharCode(px[o], px[o + 1], px[o + 2]); }
        return { width: w, height: h, rgb: btoa(s) };
      },
      benchmark(frames = 30) {                                           // orbiting frames, each sorted and drawn, timed to the GPU's end
        const px = new Uint8Array(4), az = S.az, t0 = performance.now();
        for (let k = 0; k < frames; k++) { S.az = az + 20 * Math.sin(2 * Math.PI * k / frames); draw(); gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px); }
        const s = (performance.now() - t0) / 1000;
        S.az = az; redraw();
        return { frames, seconds: s, fps: frames / s, width: canvas.width, height: canvas.height, drawn: stats.drawn };
      },
    };
  }

  try {
    window.splatViewer = Viewer(decodePayload($('spatialsplat-data').textContent));
  } catch (e) {
    $('error').textContent = `the viewer could not start: ${e && e.message || e}`;
    console.error(e);
  }
})();
