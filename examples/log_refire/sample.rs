//! The access log used when no log file is given: Common Log Format, some requests failed
//! with a 5xx status.

pub(crate) const SAMPLE_LOG: &str = r#"127.0.0.1 - - [10/Mar/2024:13:55:36 +0000] "GET / HTTP/1.1" 200 2326
127.0.0.1 - - [10/Mar/2024:13:55:37 +0000] "GET /static/app.css HTTP/1.1" 200 512
127.0.0.1 - - [10/Mar/2024:13:55:37 +0000] "GET /static/app.js HTTP/1.1" 200 10240
10.0.0.7 - - [10/Mar/2024:13:55:40 +0000] "GET /api/items?page=1 HTTP/1.1" 200 845
10.0.0.7 - - [10/Mar/2024:13:55:41 +0000] "GET /api/items?page=2 HTTP/1.1" 503 91
10.0.0.7 - - [10/Mar/2024:13:55:42 +0000] "GET /api/items?page=3 HTTP/1.1" 200 790
10.0.0.9 - alice [10/Mar/2024:13:56:01 +0000] "GET /account HTTP/1.1" 200 1533
10.0.0.9 - alice [10/Mar/2024:13:56:03 +0000] "GET /account/orders HTTP/1.1" 500 64
10.0.0.9 - alice [10/Mar/2024:13:56:05 +0000] "GET /account/orders/17 HTTP/1.1" 200 388
10.0.0.12 - - [10/Mar/2024:13:56:10 +0000] "GET /search?q=rust&lang=en HTTP/1.1" 502 0
10.0.0.12 - - [10/Mar/2024:13:56:11 +0000] "GET /search?q=rust HTTP/1.1" 200 4411
10.0.0.12 - - [10/Mar/2024:13:56:14 +0000] "GET /favicon.ico HTTP/1.1" 404 0
10.0.0.3 - - [10/Mar/2024:13:57:00 +0000] "GET /api/health HTTP/1.1" 200 2
10.0.0.3 - - [10/Mar/2024:13:57:30 +0000] "GET /api/health HTTP/1.1" 504 0
10.0.0.3 - - [10/Mar/2024:13:58:00 +0000] "GET /api/health HTTP/1.1" 200 2
10.0.0.21 - - [10/Mar/2024:13:58:12 +0000] "GET /blog/2024/async-rust HTTP/1.1" 200 18320
10.0.0.21 - - [10/Mar/2024:13:58:13 +0000] "GET /blog/2024/async-rust/comments?sort=new HTTP/1.1" 500 120
10.0.0.21 - - [10/Mar/2024:13:58:20 +0000] "GET /blog HTTP/1.1" 200 7350
10.0.0.4 - - [10/Mar/2024:13:59:02 +0000] "GET /download/report.pdf HTTP/1.1" 206 65536
10.0.0.4 - - [10/Mar/2024:13:59:03 +0000] "GET /download/report.pdf HTTP/1.1" 503 0
10.0.0.4 - - [10/Mar/2024:13:59:09 +0000] "GET /download/report.pdf HTTP/1.1" 200 131072
10.0.0.8 - bob [10/Mar/2024:14:00:00 +0000] "GET /cart HTTP/1.1" 200 980
10.0.0.8 - bob [10/Mar/2024:14:00:02 +0000] "GET /cart/checkout?step=2 HTTP/1.1" 500 77
10.0.0.8 - bob [10/Mar/2024:14:00:40 +0000] "GET /cart/checkout?step=2 HTTP/1.1" 302 0
10.0.0.8 - bob [10/Mar/2024:14:00:41 +0000] "GET /orders/88 HTTP/1.1" 200 640
10.0.0.15 - - [10/Mar/2024:14:01:10 +0000] "GET /robots.txt HTTP/1.1" 200 68
10.0.0.15 - - [10/Mar/2024:14:01:11 +0000] "GET /sitemap.xml HTTP/1.1" 500 0
10.0.0.15 - - [10/Mar/2024:14:01:12 +0000] "GET /old-page HTTP/1.1" 301 0
10.0.0.30 - - [10/Mar/2024:14:02:00 +0000] "GET /api/items?page=2&size=50 HTTP/1.1" 502 0
10.0.0.30 - - [10/Mar/2024:14:02:05 +0000] "GET /api/items?page=2&size=50 HTTP/1.1" 200 4020
"#;
