{
  "targets": [
    {
      "target_name": "ryot_nvml",
      "sources": [
        "src/native/addon.cc",
        "src/native/loader.cc",
        "src/native/errors.cc",
        "src/native/device_sample.cc",
        "src/native/sample_js.cc",
        "src/native/workers.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-fvisibility=hidden"],
      "libraries": ["-ldl"],
      "conditions": [
        ["OS!='linux'", { "sources!": ["src/native/loader.cc"], "type": "none" }]
      ]
    }
  ]
}
