{
  "targets": [
    {
      "target_name": "gigapad",
      "sources": [
        "src/addon.cc",
        "src/sigbus_guard.cc",
        "src/byte_scan.cc",
        "src/unit_scan.cc",
        "src/line_feeds.cc",
        "src/mapping.cc",
        "src/scan_settings.cc",
        "src/scan_pool.cc",
        "src/range_scans.cc",
        "src/range_operations.cc",
        "src/range_methods.cc",
        "src/job_completion.cc",
        "src/scan_jobs.cc",
        "src/mapped_file.cc",
        "src/append_file.cc",
        "src/durable_io.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS",
        "NODE_API_NO_EXTERNAL_BUFFERS_ALLOWED",
        "_FILE_OFFSET_BITS=64"
      ],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-O3", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "conditions": [
        ["OS=='mac'", {
          "xcode_settings": {
            "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "MACOSX_DEPLOYMENT_TARGET": "11.0",
            "OTHER_CPLUSPLUSFLAGS": ["-O3"]
          }
        }]
      ]
    }
  ]
}
