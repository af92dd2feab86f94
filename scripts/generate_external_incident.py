#!/usr/bin/python3
"""Synthetic evidence for an inquiry into ANOTHER system's leak (tests/data/external/).

The incident: an old registration site (not kakitome) sat behind Amazon CloudFront. The
registration-complete page, /register/complete?rid=<id>, shows the registrant's organisation,
department, name, e-mail and phone. CloudFront cached it for 60 seconds under a cache key made
of the PATH ONLY, so the query string naming the registration was ignored: a request arriving
within 60 s of a fill was a Hit and got whatever page the last fill stored, i.e. somebody
else's. kakitome imports the site's registration export, a JSON mapping that says how to read
it, and CloudFront's standard access logs, then replays the requests through a model of that
cache to find who was served whose page. This script writes that evidence, with a known truth:

  registrations.csv          469 registrations R2025-0001..R2025-0469 as Excel exports them
                             on Japanese Windows: CP932, CRLF, RFC 4180 quoting (an
                             organisation with a comma, one with a double quote),
                             登録日時 like "2025/5/20 9:05" in JST = the minute of the POST.
  mapping.json               the cache as it really was: key "path", TTL 60 s.
  mapping-correct-key.json   the same with key "path+query": the same logs show no leak.
  E1KAKITOME0001.YYYY-MM-DD-00.<hex>.gz
                             14 daily CloudFront standard logs, 2025-05-19..2025-06-01 UTC
                             (~31,000 requests: registrants, visitors, crawlers, a monitor).
  cloudfront-damaged.log.gz  53 lines of which 3 are bad (a bad date, a cut line, a
                             non-numeric status), for the importer's bad-line accounting.
  expected.json              the truth: the three leaks, the near-misses, the damaged lines.
  nginx/                     a smaller case with the same bug on an nginx proxy_cache whose
                             key ignored the cookie naming the registration (TTL 120 s): 30
                             registrations (UTF-8 with BOM, LF), access.log in combined format
                             plus "$upstream_cache_status" "$http_cookie", exactly ONE leak.

The cache model (the one the C++ review uses, projections/external_evidence.h):
  - Only requests whose path matches the mapping's page pattern are registration pages; the
    registration they name is the query parameter rid (nginx: the cookie "entry").
  - A 2xx answer whose result is Miss/RefreshHit (nginx MISS/EXPIRED) came from the origin with
    the page it named and FILLS the cache key at that time.
  - A 2xx Hit (nginx HIT) was served what the last fill stored, if that fill is <= TTL old.
  - 304 and 403 serve no page, whatever the result type.
  - A registration's owner is the client (address + user agent) that first got its page from
    the origin, else the first client that asked for it.
  - A leak is a 2xx request served a registration owned by a different client.

The generator behaves like the CDN: it plans every request for the registration page, then
replays the plan through the cache and fails unless every result is the planned one, so no
Hit happens by accident. Registrations are spaced so that every ordinary request comes more
than the TTL after the previous fill; only these come within it:
  - the three LEAKS: registrant A's page is filled by A's Miss, and within 60 s registrant B
    (the next registration, another client) asks for ITS OWN page and gets a Hit 200 carrying
    A's page; a minute later B reloads, gets a Miss with its own page and so owns it;
  - near-misses that are not leaks: an owner reloading its own page within the TTL (Hit 200,
    its own page); a browser revalidating its own page within the TTL after ANOTHER
    registrant's fill (Hit 304: no body, nothing served).
Further near-misses: clients asking for someone else's rid more than the TTL after any fill
(the origin refuses: 403, result Error), Hits on pages without personal data (the form
/register, the top page, static files), a 502 and a 504 followed by retries.

After writing, the script reads its own files back, parses them as the importer does, replays
them through the model above and asserts that the leaks found are exactly the planned ones,
that with the correct key there are none, and that the near-miss counts, the CSV times and the
damaged lines are as expected.json says.

Deterministic: fixed seeds, gzip with mtime 0 and no file name, no set iteration; two runs give
identical bytes.

Usage: scripts/generate_external_incident.py [OUT_DIR]   (default tests/data/external)
"""
import csv
import datetime
import gzip
import io
import json
import pathlib
import random
import re
import sys
import urllib.parse
from dataclasses import dataclass, field

ROOT = pathlib.Path(__file__).resolve().parent.parent
SEED = "kakitome external incident 2025"

UTC = datetime.timezone.utc
JST = datetime.timezone(datetime.timedelta(hours=9))


def at(year, month, day, hour=0, minute=0, second=0, zone=UTC):
    return int(datetime.datetime(year, month, day, hour, minute, second, tzinfo=zone).timestamp())


def jst(t):
    return datetime.datetime.fromtimestamp(t, JST)


def utc(t):
    return datetime.datetime.fromtimestamp(t, UTC)


def iso_ms(t):
    return utc(t).strftime("%Y-%m-%dT%H:%M:%S.000Z")


# ---------------------------------------------------------------------------------------------
# The CloudFront case
# ---------------------------------------------------------------------------------------------

LOG_START = at(2025, 5, 19)
LOG_DAYS = 14
LOG_END = LOG_START + LOG_DAYS * 86400  # exclusive: the last line is before 2025-06-02 00:00 UTC
REGISTRATIONS = 469
PAGE_PATH = "/register/complete"
TTL = 60
HOST = "d111111abcdef8.cloudfront.net"
SITE = f"https://{HOST}"
DISTRIBUTION = "E1KAKITOME0001"
ASSET_VERSION = "v=20250512"  # the site's cache-busting query on its CSS and JavaScript

CLOUDFRONT_FIELDS = (
    "date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status "
    "cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id "
    "x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher "
    "x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields c-port "
    "time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len "
    "sc-range-start sc-range-end")
CLOUDFRONT_HEADER = f"#Version: 1.0\n#Fields: {CLOUDFRONT_FIELDS}\n"

HTML = "text/html;charset=UTF-8"
# path → (content type, body bytes, seconds the edge keeps it). Anything else is a 404.
CLOUDFRONT_RESOURCES = {
    "/": (HTML, 14236, 600),
    "/index.html": (HTML, 14236, 600),
    "/register": (HTML, 11874, 3600),  # the empty form: no personal data, so its Hits are fine
    "/css/site.css": ("text/css", 23514, 86400),
    "/js/app.js": ("application/javascript", 48902, 86400),
    "/img/logo.png": ("image/png", 6230, 86400),
    "/img/hero.png": ("image/png", 182664, 86400),
    "/img/map.png": ("image/png", 96418, 86400),
    "/img/complete.png": ("image/png", 12907, 86400),
    "/favicon.ico": ("image/x-icon", 5430, 86400),
    "/robots.txt": ("text/plain", 68, 3600),
    "/video/pr.mp4": ("video/mp4", 18874368, 86400),
}
CLOUDFRONT_ASSETS = {
    "/": ["/css/site.css", "/js/app.js", "/img/logo.png", "/img/hero.png", "/img/map.png",
          "/favicon.ico"],
    "/index.html": ["/css/site.css", "/js/app.js", "/img/logo.png", "/img/hero.png",
                    "/img/map.png", "/favicon.ico"],
    "/register": ["/css/site.css", "/js/app.js", "/img/logo.png", "/favicon.ico"],
    PAGE_PATH: ["/css/site.css", "/js/app.js", "/img/logo.png", "/img/complete.png",
                "/favicon.ico"],
}
QUERY_OF_ASSET = {"/css/site.css": ASSET_VERSION, "/js/app.js": ASSET_VERSION}
VIDEO_CHUNK = 1 << 21

EDGES = {"kanto": (["NRT57-P1", "NRT57-P2", "NRT20-C4", "NRT12-C3", "NRT51-P3"], [5, 3, 3, 2, 1]),
         "kansai": (["KIX50-C1", "KIX56-P1", "KIX50-P2"], [4, 3, 1])}

# Browsers of May 2025, with weights; every registrant and visitor uses one.
BROWSERS = [
    (30, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/136.0.0.0 Safari/537.36"),
    (8, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/135.0.0.0 Safari/537.36"),
    (22, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/136.0.0.0 Safari/537.36 Edg/136.0.0.0"),
    (4, "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:138.0) Gecko/20100101 Firefox/138.0"),
    (6, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
        "Gecko) Version/18.4 Safari/605.1.15"),
    (4, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/136.0.0.0 Safari/537.36"),
    (14, "Mozilla/5.0 (iPhone; CPU iPhone OS 18_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
         "like Gecko) Version/18.4 Mobile/15E148 Safari/604.1"),
    (4, "Mozilla/5.0 (iPhone; CPU iPhone OS 18_3_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
        "like Gecko) Version/18.3.1 Mobile/15E148 Safari/604.1"),
    (8, "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/136.0.0.0 Mobile Safari/537.36"),
]
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
GOOGLEBOT_SMARTPHONE = (
    "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like "
    "Gecko) Chrome/136.0.7103.92 Mobile Safari/537.36 (compatible; Googlebot/2.1; "
    "+http://www.google.com/bot.html)")
BINGBOT = ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; "
           "+http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36")
MONITOR = "Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)"
SCANNERS = ["Mozilla/5.0 zgrab/0.x", "python-requests/2.32.3"]
SCANNED_PATHS = ["/wp-login.php", "/.env", "/xmlrpc.php", "/wp-admin/", "/admin/",
                 "/phpmyadmin/index.php", "/.git/config", "/config.json", "/server-status",
                 "/api/.env", "/backup.zip", "/wp-content/plugins/", "/.aws/credentials"]


# --- Who registered --------------------------------------------------------------------------

FAMILY = [
    ("佐藤", "sato"), ("鈴木", "suzuki"), ("高橋", "takahashi"), ("田中", "tanaka"),
    ("伊藤", "ito"), ("渡辺", "watanabe"), ("山本", "yamamoto"), ("中村", "nakamura"),
    ("小林", "kobayashi"), ("加藤", "kato"), ("吉田", "yoshida"), ("山田", "yamada"),
    ("佐々木", "sasaki"), ("山口", "yamaguchi"), ("松本", "matsumoto"), ("井上", "inoue"),
    ("木村", "kimura"), ("林", "hayashi"), ("斎藤", "saito"), ("清水", "shimizu"),
    ("山崎", "yamazaki"), ("森", "mori"), ("池田", "ikeda"), ("橋本", "hashimoto"),
    ("阿部", "abe"), ("石川", "ishikawa"), ("山下", "yamashita"), ("中島", "nakajima"),
    ("石井", "ishii"), ("小川", "ogawa"), ("前田", "maeda"), ("岡田", "okada"),
    ("長谷川", "hasegawa"), ("藤田", "fujita"), ("後藤", "goto"), ("近藤", "kondo"),
    ("村上", "murakami"), ("遠藤", "endo"), ("青木", "aoki"), ("坂本", "sakamoto"),
    ("斉藤", "saito"), ("福田", "fukuda"), ("太田", "ota"), ("西村", "nishimura"),
    ("藤井", "fujii"), ("金子", "kaneko"), ("岡本", "okamoto"), ("藤原", "fujiwara"),
    ("三浦", "miura"), ("原田", "harada"), ("中川", "nakagawa"), ("松田", "matsuda"),
    ("竹内", "takeuchi"), ("小野", "ono"), ("田村", "tamura"), ("中山", "nakayama"),
    ("和田", "wada"), ("石田", "ishida"), ("上田", "ueda"), ("森田", "morita"),
    ("柴田", "shibata"), ("酒井", "sakai"), ("工藤", "kudo"), ("横山", "yokoyama"),
    ("宮崎", "miyazaki"), ("宮本", "miyamoto"), ("内田", "uchida"), ("高木", "takagi"),
    ("安藤", "ando"), ("谷口", "taniguchi"), ("丸山", "maruyama"), ("今井", "imai"),
    ("河野", "kono"), ("藤本", "fujimoto"), ("村田", "murata"), ("武田", "takeda"),
    ("上野", "ueno"), ("杉山", "sugiyama"), ("増田", "masuda"), ("平野", "hirano"),
    ("大塚", "otsuka"), ("千葉", "chiba"), ("久保", "kubo"), ("松井", "matsui"),
    ("小島", "kojima"), ("岩崎", "iwasaki"), ("桜井", "sakurai"), ("野口", "noguchi"),
    ("松尾", "matsuo"), ("菊地", "kikuchi"), ("野村", "nomura"), ("新井", "arai"),
]
GIVEN = [
    ("翔太", "shota"), ("大輔", "daisuke"), ("健一", "kenichi"), ("直樹", "naoki"),
    ("拓也", "takuya"), ("和也", "kazuya"), ("誠", "makoto"), ("隆", "takashi"),
    ("浩二", "koji"), ("健太", "kenta"), ("亮", "ryo"), ("達也", "tatsuya"),
    ("博之", "hiroyuki"), ("剛", "tsuyoshi"), ("修", "osamu"), ("聡", "satoshi"),
    ("雄一", "yuichi"), ("智也", "tomoya"), ("悠斗", "yuto"), ("陽介", "yosuke"),
    ("俊介", "shunsuke"), ("正人", "masato"), ("康弘", "yasuhiro"), ("英樹", "hideki"),
    ("美咲", "misaki"), ("由美子", "yumiko"), ("恵", "megumi"), ("裕子", "yuko"),
    ("陽子", "yoko"), ("真由美", "mayumi"), ("香織", "kaori"), ("彩", "aya"),
    ("さくら", "sakura"), ("愛", "ai"), ("麻衣", "mai"), ("智子", "tomoko"),
    ("久美子", "kumiko"), ("直美", "naomi"), ("明美", "akemi"), ("千尋", "chihiro"),
    ("奈々", "nana"), ("沙織", "saori"), ("理恵", "rie"), ("晴美", "harumi"),
    ("典子", "noriko"), ("幸子", "sachiko"), ("美穂", "miho"), ("亜希子", "akiko"),
    ("綾乃", "ayano"), ("瞳", "hitomi"), ("里美", "satomi"), ("一郎", "ichiro"),
]
# (name, romaji, telephone area code, region: which CloudFront edges its users reach)
PLACES = [
    ("世田谷", "setagaya", "03", "kanto"), ("目黒", "meguro", "03", "kanto"),
    ("杉並", "suginami", "03", "kanto"), ("練馬", "nerima", "03", "kanto"),
    ("板橋", "itabashi", "03", "kanto"), ("江東", "koto", "03", "kanto"),
    ("品川", "shinagawa", "03", "kanto"), ("大田", "ota", "03", "kanto"),
    ("文京", "bunkyo", "03", "kanto"), ("八王子", "hachioji", "042", "kanto"),
    ("町田", "machida", "042", "kanto"), ("川崎", "kawasaki", "044", "kanto"),
    ("青葉台", "aobadai", "045", "kanto"), ("港北", "kohoku", "045", "kanto"),
    ("大宮", "omiya", "048", "kanto"), ("浦和", "urawa", "048", "kanto"),
    ("船橋", "funabashi", "047", "kanto"), ("柏", "kashiwa", "04", "kanto"),
    ("千葉中央", "chibachuo", "043", "kanto"), ("仙台", "sendai", "022", "kanto"),
    ("札幌", "sapporo", "011", "kanto"), ("梅田", "umeda", "06", "kansai"),
    ("天王寺", "tennoji", "06", "kansai"), ("吹田", "suita", "06", "kansai"),
    ("豊中", "toyonaka", "06", "kansai"), ("堺", "sakai", "072", "kansai"),
    ("枚方", "hirakata", "072", "kansai"), ("京都", "kyoto", "075", "kansai"),
    ("伏見", "fushimi", "075", "kansai"), ("神戸", "kobe", "078", "kansai"),
    ("西宮", "nishinomiya", "0798", "kansai"), ("奈良", "nara", "0742", "kansai"),
    ("名古屋", "nagoya", "052", "kansai"), ("広島", "hiroshima", "082", "kansai"),
    ("福岡", "fukuoka", "092", "kansai"),
]
CORPORATIONS = [("清和会", "seiwakai"), ("明生会", "meiseikai"), ("和光会", "wakokai"),
                ("誠心会", "seishinkai"), ("慶友会", "keiyukai"), ("仁愛会", "jinaikai"),
                ("博愛会", "hakuaikai"), ("恵生会", "keiseikai"), ("松風会", "shofukai"),
                ("寿会", "kotobukikai"), ("緑風会", "ryokufukai"), ("瑞穂会", "mizuhokai")]
SPECIALTIES = [("内科", "naika"), ("整形外科", "seikei"), ("眼科", "ganka"),
               ("皮膚科", "hifuka"), ("小児科", "shonika"), ("耳鼻咽喉科", "jibika"),
               ("心療内科", "shinryo")]
PHARMACY_BRANDS = [("さくら", "sakura"), ("ひまわり", "himawari"), ("すずらん", "suzuran"),
                   ("つばさ", "tsubasa"), ("こもれび", "komorebi"), ("ふたば", "futaba")]
BRANDS = [("ミライ", "mirai"), ("エール", "yell"), ("ソレイユ", "soleil"),
          ("ハーモニー", "harmony"), ("ライフ", "life"), ("ネクスト", "next"),
          ("グリーン", "green"), ("スマイル", "smile"), ("アスター", "aster"),
          ("ノーブル", "noble")]
DEPARTMENTS = {
    "hospital": ["総務課", "医事課", "地域連携室", "看護部", "薬剤部", "広報室", "事務部",
                 "経営企画室", "人事課", "情報システム課"],
    "clinic": ["", "", "事務", "受付", "院長室"],
    "pharmacy": ["", "", "管理薬剤師", "本部 総務部"],
    "company": ["人事部", "総務部", "広報部", "営業部", "健康推進室", "法務部", "経営企画部"],
    "insurer": ["保健事業課", "業務課", "総務課", "適用課"],
    "association": ["事務局", "事務局 総務課", "研修担当"],
}


@dataclass
class Organisation:
    name: str
    kind: str
    domain: str
    area_code: str
    region: str


@dataclass(eq=False)
class Client:
    """A browser or bot as the review tells clients apart: address + user agent."""
    ip: str
    ua: str
    edge: str
    protocol_version: str = "HTTP/2.0"
    ssl_protocol: str = "TLSv1.3"
    ssl_cipher: str = "TLS_AES_128_GCM_SHA256"
    cookie: str = ""  # the Cookie header the browser sends (nginx case)
    cached: dict = field(default_factory=dict)  # static files in the browser's cache

    @property
    def ios(self):
        return "iPhone" in self.ua


@dataclass(eq=False)
class Registrant:
    rid: str
    post_at: int
    organisation: Organisation
    department: str
    name: str
    email: str
    phone: str
    client: Client
    role: str = "ordinary"  # ordinary | leak_source | leak_viewer | owner_reload | page_retry

    def page_bytes(self):
        # The page shows the registrant's own data, so its size differs by registrant; a Hit
        # logs the size of the page it carried (the filler's), which is visible in the log.
        personal = "".join([self.organisation.name, self.department, self.name, self.email,
                            self.phone])
        return 8960 + len(personal.encode("utf-8")) * 2


def phone_number(rng, area_code):
    if rng.random() < 0.12:
        return f"0{rng.choice('987')}0-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"
    local = 10 - len(area_code)
    # Local numbers never start with 0 or 1.
    first = rng.randint(2 * 10 ** (local - 5), 10 ** (local - 4) - 1)
    return f"{area_code}-{first}-{rng.randint(0, 9999):04d}"


def make_organisations(rng, count):
    """Hospitals, clinics, pharmacies, companies, insurers and associations, unique names."""
    organisations = []
    names = {}

    def add(name, kind, domain, place):
        if name in names:
            return
        names[name] = True
        organisations.append(Organisation(name, kind, domain, place[2], place[3]))

    # The two names that need RFC 4180 quoting in the CSV.
    add("Sakura Medical Data Co., Ltd.", "company", "sakura-md.example.co.jp", PLACES[6])
    add('一般社団法人 "まちの保健室"推進ネットワーク', "association", "machi-hoken.example.or.jp",
        PLACES[2])
    while len(organisations) < count:
        place = rng.choice(PLACES)
        kind = rng.choices(["hospital", "clinic", "pharmacy", "company", "insurer",
                            "association"], [34, 22, 16, 16, 7, 5])[0]
        if kind == "hospital":
            corp, corp_r = rng.choice(CORPORATIONS)
            style = rng.randrange(4)
            if style == 0:
                name = f"医療法人{corp} {place[0]}病院"
            elif style == 1:
                name = f"社会医療法人{corp} {place[0]}総合病院"
            elif style == 2:
                name = f"医療法人社団{corp} {place[0]}中央病院"
            else:
                name = f"{place[0]}記念病院"
                corp_r = "kinen"
            domain = f"{corp_r}-{place[1]}.example.or.jp"
        elif kind == "clinic":
            specialty, specialty_r = rng.choice(SPECIALTIES)
            name = (f"医療法人社団 {place[0]}{specialty}クリニック" if rng.random() < 0.5
                    else f"{place[0]}{specialty}医院")
            domain = f"{place[1]}-{specialty_r}.example.jp"
        elif kind == "pharmacy":
            brand, brand_r = rng.choice(PHARMACY_BRANDS)
            name = (f"{brand}薬局 {place[0]}店" if rng.random() < 0.7
                    else f"株式会社{brand}ファーマシー {place[0]}薬局")
            domain = f"{brand_r}-pharmacy.example.co.jp"
        elif kind == "company":
            brand, brand_r = rng.choice(BRANDS)
            style = rng.randrange(4)
            name, domain = [(f"株式会社{brand}メディカル", f"{brand_r}-medical.example.co.jp"),
                            (f"{brand}製薬株式会社", f"{brand_r}-pharma.example.co.jp"),
                            (f"株式会社{brand}ヘルスケア", f"{brand_r}-hc.example.co.jp"),
                            (f"{brand}システムズ株式会社", f"{brand_r}-sys.example.co.jp")][style]
        elif kind == "insurer":
            brand, brand_r = rng.choice(BRANDS)
            name = f"{brand}グループ健康保険組合"
            domain = f"{brand_r}-kenpo.example.or.jp"
        else:
            profession = rng.choice([("医師会", "med"), ("薬剤師会", "pharm"),
                                     ("歯科医師会", "dent")])
            name = f"一般社団法人{place[0]}{profession[0]}"
            domain = f"{place[1]}-{profession[1]}.example.or.jp"
        add(name, kind, domain, place)
    return organisations


def make_person(rng, organisation, emails):
    family, family_r = rng.choice(FAMILY)
    given, given_r = rng.choice(GIVEN)
    department = rng.choice(DEPARTMENTS[organisation.kind])
    for attempt in range(100):
        if rng.random() < 0.08:  # a private address instead of the organisation's
            local = f"{family_r}.{given_r}{rng.randint(60, 99) if attempt else ''}"
            email = f"{local}@{rng.choice(['example.ne.jp', 'example.com'])}"
        else:
            local = rng.choice([f"{given_r}.{family_r}", f"{given_r[0]}-{family_r}",
                                f"{family_r}", f"{family_r}.{given_r[0]}",
                                f"{family_r}{rng.randint(1, 99):02d}"])
            if attempt:
                local += str(attempt)
            email = f"{local}@{organisation.domain}"
        if email not in emails:
            emails[email] = True
            break
    phone = phone_number(rng, organisation.area_code)
    return department, f"{family}\u3000{given}", email, phone


class AddressPool:
    """Client addresses from the documentation ranges (RFC 5737, RFC 3849): realistic shape,
    nobody's real address."""

    def __init__(self, rng):
        # .240 and up are the monitor's, the scanners' and the like.
        v4 = [f"{prefix}.{host}" for prefix in ("192.0.2", "198.51.100", "203.0.113")
              for host in range(1, 240)]
        rng.shuffle(v4)
        self.v4 = v4
        self.rng = rng
        self.used = {}

    def take(self, ipv6_share=0.15):
        if self.rng.random() < ipv6_share or not self.v4:
            while True:
                groups = [f"{self.rng.randrange(1 << 16):x}" for _ in range(6)]
                address = "2001:db8:" + ":".join(groups)
                if address not in self.used:
                    self.used[address] = True
                    return address
        return self.v4.pop()


def browser_client(rng, addresses, region):
    ua = rng.choices([b[1] for b in BROWSERS], [b[0] for b in BROWSERS])[0]
    edges, weights = EDGES[region]
    return Client(addresses.take(), ua, rng.choices(edges, weights)[0])


# --- When they registered, and the requests for the registration page -----------------------

# JST days 5/19 (Mon, the invitation e-mail at 10:00) .. 6/1 (Sun); the deadline was Fri 5/30.
DAY_WEIGHTS = [70, 55, 35, 30, 28, 6, 5, 30, 28, 30, 45, 70, 8, 6]
HOUR_WEIGHTS = [0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.4, 0.8, 2, 6, 10, 9, 5, 8, 9, 9, 8, 6, 3, 2,
                1.5, 1.2, 0.8, 0.4]


def sample_registration_times(rng):
    first_day = datetime.datetime(2025, 5, 19, tzinfo=JST)
    times = []
    while len(times) < REGISTRATIONS:
        day = rng.choices(range(len(DAY_WEIGHTS)), DAY_WEIGHTS)[0]
        hour = rng.choices(range(24), HOUR_WEIGHTS)[0]
        if day == 0 and hour < 10:
            continue  # nobody knew of the site before the invitation
        t = int((first_day + datetime.timedelta(days=day, hours=hour)).timestamp())
        t += rng.randrange(3600)
        if LOG_START + 3600 <= t < LOG_END - 6 * 3600:
            times.append(t)
    return sorted(times)


@dataclass(eq=False)
class PageRequest:
    """A planned request for a registration page, and what the cache must answer."""
    t: int
    requester: object  # the Registrant, or the Client of a visitor
    rid: str  # the registration its query names
    kind: str  # own | owner_reload | retry_error | leak_hit | leak_reload | revisit |
    #            foreign_403 | revalidation_304
    expect: tuple  # (result type, status) the CDN must give
    origin_status: int = 200  # what the origin answers when asked
    conditional: bool = False  # the browser sent If-Modified-Since
    served: object = None  # the Registrant whose page the response carried (set by replay)

    @property
    def client(self):
        return self.requester.client if isinstance(self.requester, Registrant) else self.requester


def daytime_between(rng, low, high, first_hour=8, last_hour=22):
    """A random moment in [low, high) at a JST hour people use the site."""
    for _ in range(200):
        t = rng.randrange(low, high)
        if first_hour <= jst(t).hour <= last_hour:
            return t
    return t


def clear_of_pages(pages, t, before, after):
    return not any(t - before <= page.t <= t + after for page in pages)


def free_slot(pages, t, before, after):
    """The first moment from t on with no page request `before` s before or `after` s after."""
    while not clear_of_pages(pages, t, before, after):
        t += 37
    return t


def plan_registrations(rng, times, registrants):
    """Walks the registrations in time order, pushing each so that its first request for the
    page comes more than TTL after the previous fill (no accidental Hit), and lays out the
    deliberate ones: the leak pairs, the owners' reloads, the page retries."""
    pages = []
    last_fill = -10 ** 9
    i = 0
    while i < len(registrants):
        registrant = registrants[i]
        p = times[i]
        if p <= last_fill + TTL:
            p = last_fill + TTL + 1 + rng.randint(0, 90)
        registrant.post_at = p
        fill = p + rng.randint(1, 3)  # the browser follows the 302 at once
        if registrant.role == "page_retry":
            # The origin failed once (502, nothing stored); the registrant reloads.
            pages.append(PageRequest(fill, registrant, registrant.rid, "retry_error",
                                     ("Error", 502), origin_status=502))
            fill += rng.randint(3, 9)
        pages.append(PageRequest(fill, registrant, registrant.rid, "own", ("Miss", 200)))
        last_fill = fill
        if registrant.role == "owner_reload":
            pages.append(PageRequest(fill + rng.randint(4, 40), registrant, registrant.rid,
                                     "owner_reload", ("Hit", 200)))
        elif registrant.role == "leak_source":
            # The next registrant finishes within the TTL of this fill: its own page is a Hit
            # carrying this one. A minute later it reloads, misses and gets its own.
            viewer = registrants[i + 1]
            viewer.post_at = fill + rng.randint(12, 40)
            hit = viewer.post_at + rng.randint(1, 3)
            assert hit - fill <= TTL - 10
            pages.append(PageRequest(hit, viewer, viewer.rid, "leak_hit", ("Hit", 200)))
            last_fill = fill + TTL + rng.randint(20, 75)
            pages.append(PageRequest(last_fill, viewer, viewer.rid, "leak_reload",
                                     ("Miss", 200)))
            i += 1
        i += 1
    assert last_fill < LOG_END - 3600, "registrations pushed past the end of the logs"
    return pages


def plan_near_misses(rng, pages, registrants, visitors):
    """Requests for the page besides the registrations: registrants coming back to their own
    page (a Miss that fills), asking for someone else's (403), and revalidating their own
    within the TTL after another registrant's fill (304)."""
    ordinary = [r for r in registrants if r.role == "ordinary"]
    chosen = {}

    def unused(candidates):
        return [c for c in candidates if c.rid not in chosen]

    # Coming back days later (the confirmation e-mail's link): a fill of their own page.
    for registrant in rng.sample([r for r in ordinary if r.post_at < LOG_END - 3 * 86400], 12):
        chosen[registrant.rid] = True
        low = registrant.post_at + 86400
        t = daytime_between(rng, low, min(low + 5 * 86400, LOG_END - 4 * 3600))
        t = free_slot(pages, t, TTL + 5, TTL + 5)
        pages.append(PageRequest(t, registrant, registrant.rid, "revisit", ("Miss", 200)))

    # Someone else's rid, more than the TTL after any fill: the origin checks and refuses.
    curious = rng.sample(unused([r for r in ordinary if int(r.rid[-4:]) > 10
                                 and r.post_at < LOG_END - 2 * 86400]), 5)
    for registrant in curious:
        chosen[registrant.rid] = True
        number = int(registrant.rid[-4:]) - rng.randint(1, 5)
        target = f"R2025-{number:04d}"
        t = daytime_between(rng, registrant.post_at + 600, registrant.post_at + 86400)
        t = free_slot(pages, t, TTL + 5, 15)
        pages.append(PageRequest(t, registrant, target, "foreign_403", ("Error", 403),
                                 origin_status=403))
    # And a visitor (not one of the organiser's staff) who was sent a registrant's link.
    target = registrants[41]
    t = free_slot(pages, daytime_between(rng, target.post_at + 7200, target.post_at + 86400),
                  TTL + 5, 15)
    pages.append(PageRequest(t, visitors[-1], target.rid, "foreign_403", ("Error", 403),
                             origin_status=403))

    # A browser revalidating its own page (If-Modified-Since) within the TTL after another
    # registrant's fill: CloudFront answers 304 from the cache. No body, nothing served.
    fills = [page for page in pages if page.kind == "own" and page.requester.role == "ordinary"
             and clear_of_pages([q for q in pages if q is not page], page.t, 0, TTL + 10)]
    for fill in rng.sample(fills, 40):
        if sum(1 for page in pages if page.kind == "revalidation_304") == 4:
            break
        same_edge = [r for r in unused(ordinary)
                     if r.client.edge == fill.client.edge and r.post_at < fill.t - 3 * 3600]
        if fill.requester.rid in chosen or not same_edge:
            continue
        owner = rng.choice(same_edge)
        chosen[owner.rid] = True
        chosen[fill.requester.rid] = True
        pages.append(PageRequest(fill.t + rng.randint(6, 50), owner, owner.rid,
                                 "revalidation_304", ("Hit", 304), conditional=True))
    pages.sort(key=lambda page: page.t)
    assert all(LOG_START + 3600 <= page.t < LOG_END - 600 for page in pages)
    return pages


def replay_plan(pages, ttl, by_rid):
    """The CDN as the brief describes it, over the planned page requests: within the TTL of
    the last fill any request is a Hit (304 when conditional) carrying that fill's page;
    otherwise the origin answers, and a 200 fills. Fails unless every answer is the planned."""
    last_fill = None
    previous = None
    for page in pages:
        assert previous is None or page.t > previous, "two page requests in one second"
        previous = page.t
        if last_fill is not None and page.t - last_fill.t <= ttl:
            got = ("Hit", 304) if page.conditional else ("Hit", 200)
            page.served = None if page.conditional else by_rid[last_fill.rid]
        else:
            assert not page.conditional, "a conditional request outside the TTL"
            got = ("Miss" if page.origin_status == 200 else "Error", page.origin_status)
            page.served = by_rid[page.rid] if page.origin_status == 200 else None
            if page.origin_status == 200:
                last_fill = page
        if got != page.expect:
            sys.exit(f"plan broken: {page.kind} {page.rid} at {iso_ms(page.t)} would be {got}, "
                     f"planned {page.expect}")


# --- The traffic around them ----------------------------------------------------------------

@dataclass(eq=False)
class Request:
    t: int
    seq: int
    client: Client
    method: str
    path: str
    query: str
    referer: str
    port: int
    conditional: bool = False
    status: int = 0  # preset for POSTs and planned pages; else the cache decides
    page: PageRequest = None
    byte_range: tuple = None
    cookie: str = ""
    request_id: str = ""  # CloudFront's x-edge-request-id, given when the line is written


class Traffic:
    def __init__(self, rng):
        self.rng = rng
        self.requests = []

    def add(self, t, client, method, path, query="", referer="", port=0, **extra):
        request = Request(t, len(self.requests), client, method, path, query, referer, port,
                          **extra)
        self.requests.append(request)
        return request


class Visit:
    """One browser visit: one connection (one client port); pages fetch their assets, which
    the browser may still have (no request) or revalidate (304)."""

    def __init__(self, traffic, client, assets, site):
        self.traffic = traffic
        self.rng = traffic.rng
        self.client = client
        self.assets = assets
        self.site = site
        self.port = self.rng.randint(1025, 65535)

    def request(self, t, path, query="", referer="", method="GET", **extra):
        return self.traffic.add(t, self.client, method, path, query, referer, self.port,
                                cookie=self.client.cookie, **extra)

    def page(self, t, path, query="", referer="", with_assets=True, **extra):
        request = self.request(t, path, query, referer, **extra)
        if with_assets:
            url = f"{self.site}{path}" + (f"?{query}" if query else "")
            for asset in self.assets.get(path, []):
                self.asset(t + self.rng.choice([0, 0, 1, 1, 2]), asset, url)
        return request

    def asset(self, t, path, referer):
        query = QUERY_OF_ASSET.get(path, "")
        if path in self.client.cached:
            if self.rng.random() < 0.5:
                return  # still fresh in the browser's cache: nothing on the wire
            self.request(t, path, query, referer, conditional=True)
        else:
            self.client.cached[path] = True
            self.request(t, path, query, referer)

    def video(self, t):
        size = CLOUDFRONT_RESOURCES["/video/pr.mp4"][1]
        for chunk in range(self.rng.randint(1, 6)):
            start = chunk * VIDEO_CHUNK
            end = min(start + VIDEO_CHUNK, size) - 1
            self.request(t, "/video/pr.mp4", referer=f"{SITE}/", byte_range=(start, end))
            t += self.rng.randint(4, 12)
        return t


def browse(visit, t, registered=False):
    """A look at the site: the top page, perhaps the form, perhaps the PR video."""
    rng = visit.rng
    if visit.client.ios and not visit.client.cached and rng.random() < 0.4:
        visit.request(t, "/apple-touch-icon-precomposed.png")
        visit.request(t, "/apple-touch-icon.png")
    top = "/index.html" if rng.random() < 0.15 else "/"
    visit.page(t, top, referer=rng.choice(["", "", "https://www.google.com/"]))
    t += rng.randint(8, 120)
    if rng.random() < 0.2:
        t = visit.video(t) + rng.randint(5, 60)
    if not registered and rng.random() < 0.35:
        visit.page(t, "/register", referer=f"{SITE}/")
    return t


def registration_visit(traffic, registrant, own_pages):
    """From the form to the complete page: the POST at the registration time, then the page
    requests planned for this registrant's registration."""
    rng = traffic.rng
    visit = Visit(traffic, registrant.client, CLOUDFRONT_ASSETS, SITE)
    p = registrant.post_at
    form_at = p - rng.randint(100, 720)  # filling the form takes minutes
    if rng.random() < 0.55:
        browse_at = form_at - rng.randint(20, 240)
        browse(visit, browse_at, registered=True)
        visit.page(form_at, "/register", referer=f"{SITE}/")
    else:
        visit.page(form_at, "/register")  # straight from the invitation e-mail
    if registrant.role == "ordinary" and rng.random() < 0.01:
        # The origin timed out on the first submit (CloudFront gives up after 30 s); the
        # registrant submits again, and that one registers.
        visit.request(p - rng.randint(8, 20), "/register", referer=f"{SITE}/register",
                      method="POST", status=504)
    visit.request(p, "/register", referer=f"{SITE}/register", method="POST", status=302)
    for page in own_pages:
        # The redirect from the POST, and reloads of it, carry the form as referer.
        visit.page(page.t, PAGE_PATH, f"rid={page.rid}", f"{SITE}/register",
                   with_assets=page.expect[1] == 200, page=page, status=page.expect[1])


def page_visit(traffic, page):
    """A later visit whose point is the registration page (revisit, 403, 304)."""
    visit = Visit(traffic, page.client, CLOUDFRONT_ASSETS, SITE)
    # Opened from a bookmark, the e-mail or the address bar: no referer.
    visit.page(page.t, PAGE_PATH, f"rid={page.rid}", "",
               with_assets=page.expect[1] == 200, page=page, status=page.expect[1],
               conditional=page.conditional)


def generate_traffic(rng, registrants, pages, visitors, crawlers, monitor, scanners):
    traffic = Traffic(rng)
    registration_pages = {}
    for page in pages:
        if page.kind in ("own", "owner_reload", "retry_error", "leak_hit", "leak_reload"):
            registration_pages.setdefault(page.requester.rid, []).append(page)
        else:
            page_visit(traffic, page)
    for registrant in registrants:
        # Looking at the site before registering, and (some) coming back to it afterwards.
        for _ in range(rng.choices([0, 1, 2, 3], [15, 35, 30, 20])[0]):
            if registrant.post_at - 4 * 3600 > LOG_START + 3600:
                t = daytime_between(rng, max(LOG_START + 3600, registrant.post_at - 5 * 86400),
                                    registrant.post_at - 4 * 3600)
                browse(Visit(traffic, registrant.client, CLOUDFRONT_ASSETS, SITE), t)
        registration_visit(traffic, registrant, registration_pages[registrant.rid])
        for _ in range(rng.choices([0, 1, 2], [30, 40, 30])[0]):
            if registrant.post_at + 4 * 3600 < LOG_END - 3600:
                t = daytime_between(rng, registrant.post_at + 4 * 3600, LOG_END - 3600)
                browse(Visit(traffic, registrant.client, CLOUDFRONT_ASSETS, SITE), t,
                       registered=True)
    for number, visitor in enumerate(visitors):
        # The organiser's staff (the first three) look at their site all the time.
        sessions = rng.randint(50, 80) if number < 3 else rng.choices(
            [rng.randint(3, 8), rng.randint(8, 25), rng.randint(25, 60)], [35, 40, 25])[0]
        for _ in range(sessions):
            t = daytime_between(rng, LOG_START, LOG_END - 600)
            browse(Visit(traffic, visitor, CLOUDFRONT_ASSETS, SITE), t)
    crawled = ["/", "/index.html", "/css/site.css", "/js/app.js", "/img/logo.png",
               "/img/hero.png", "/img/map.png", "/favicon.ico"]
    for crawler, per_day in crawlers:
        for day in range(LOG_DAYS):
            start = LOG_START + day * 86400
            visit = Visit(traffic, crawler, {}, SITE)
            visit.request(start + rng.randrange(86400), "/robots.txt")
            if rng.random() < 0.5:
                visit.request(start + rng.randrange(86400), "/sitemap.xml")
            for _ in range(rng.randint(per_day // 2, per_day)):
                path = rng.choice(crawled)
                visit.request(start + rng.randrange(86400), path, QUERY_OF_ASSET.get(path, ""))
    t = LOG_START + 47
    while t < LOG_END:
        Visit(traffic, monitor, {}, SITE).request(t, "/")
        t += 180 + rng.choice([0, 0, 0, 1, 1, 2])
    for scanner in scanners:
        for _ in range(4):
            t = rng.randrange(LOG_START, LOG_END - 3600)
            visit = Visit(traffic, scanner, {}, SITE)
            visit.request(t, "/")
            for path in rng.sample(SCANNED_PATHS, rng.randint(6, len(SCANNED_PATHS))):
                t += rng.randint(0, 2)
                visit.request(t, path)
    traffic.requests = [r for r in traffic.requests if LOG_START <= r.t < LOG_END]
    traffic.requests.sort(key=lambda r: (r.t, r.seq))
    return traffic.requests


# --- CloudFront lines -----------------------------------------------------------------------

REQUEST_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"


def request_id(rng):
    # CloudFront's ids are 56 characters of base64url ending in "==".
    return "".join(rng.choice(REQUEST_ID_ALPHABET) for _ in range(54)) + "=="


def encode_user_agent(ua):
    return urllib.parse.quote(ua, safe="/;:,()")


class EdgeCaches:
    """CloudFront's cache for everything that is not a registration page, one per edge
    location: Miss on first use or after eviction, Hit within the TTL, RefreshHit after it
    (the origin confirms the object unchanged)."""

    def __init__(self, rng):
        self.rng = rng
        self.stored = {}

    def result(self, request, ttl):
        key = (request.client.edge, request.path, request.query)
        stored = self.stored.get(key)
        if stored is None or (request.t - stored > 6 * 3600 and self.rng.random() < 0.3):
            self.stored[key] = request.t
            return "Miss"
        if request.t - stored <= ttl:
            return "Hit"
        self.stored[key] = request.t
        return "RefreshHit" if self.rng.random() < 0.8 else "Miss"


def cloudfront_line(rng, request, edge_caches):
    client = request.client
    range_start = range_end = content_len = "-"
    if request.page is not None:
        page = request.page
        result, status = page.expect
        content_type = HTML if status != 304 else "-"
        body = {200: page.served.page_bytes() if page.served else 0, 304: 0, 403: 1042,
                502: 1318}[status]
    elif request.method == "POST":
        status = request.status
        result = "Miss" if status == 302 else "Error"
        content_type, body = HTML, (0 if status == 302 else 1289)
    elif request.path not in CLOUDFRONT_RESOURCES:
        status, result, content_type, body = 404, "Error", HTML, 548
    else:
        content_type, size, ttl = CLOUDFRONT_RESOURCES[request.path]
        result = edge_caches.result(request, ttl)
        if request.byte_range:
            status = 206
            range_start, range_end = request.byte_range
            body = range_end - range_start + 1
        elif request.conditional:
            status, body, content_type = 304, 0, "-"
        else:
            status, body = 200, size
    if status != 304:
        content_len = str(body)
    # Header sizes follow from what is in them (HTTP/2 compresses them; a cached answer adds
    # Age), not from chance.
    http2 = client.protocol_version == "HTTP/2.0"
    headers = (190 if http2 else 470) + len(content_type) + (
        12 if result in ("Hit", "RefreshHit") else 0)
    sc_bytes = body + headers
    target = len(request.path) + len(request.query)
    cs_bytes = (48 + target + len(request.referer) // 3 if http2
                else 140 + len(client.ua) + target + len(request.referer))
    if request.method == "POST":
        cs_bytes += rng.randint(1100, 1900)  # the form: URL-encoded Japanese grows fast
    if result == "Hit":
        taken = rng.uniform(0.001, 0.012)
    elif status == 504:
        taken = 30.0 + rng.uniform(0.001, 0.3)
    else:
        taken = rng.uniform(0.04, 0.38)
    if status == 206:
        taken += body / rng.uniform(4e6, 2e7)
    first_byte = min(taken, taken * rng.uniform(0.6, 0.98)) if result != "Hit" else taken
    rid = request_id(rng)
    request.request_id = rid
    cells = [
        utc(request.t).strftime("%Y-%m-%d"), utc(request.t).strftime("%H:%M:%S"),
        client.edge, str(sc_bytes), client.ip, request.method, HOST, request.path, str(status),
        request.referer or "-", encode_user_agent(client.ua), request.query or "-", "-",
        result, rid, HOST, "https", str(cs_bytes), f"{taken:.3f}", "-", client.ssl_protocol,
        client.ssl_cipher, result, client.protocol_version, "-", "-", str(request.port),
        f"{first_byte:.3f}", result, content_type, content_len, str(range_start),
        str(range_end)]
    return "\t".join(cells)


def gzip_bytes(text):
    buffer = io.BytesIO()
    # mtime 0 and no file name in the header: the same text gives the same bytes.
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0) as out:
        out.write(text.encode("utf-8"))
    return buffer.getvalue()


def write_cloudfront_logs(out, rng, requests):
    for old in out.glob(f"{DISTRIBUTION}.*.gz"):
        old.unlink()  # a changed generator must not leave yesterday's files behind
    edge_caches = EdgeCaches(random.Random(f"{SEED}:edge caches"))
    days = {}
    for request in requests:
        day = utc(request.t).strftime("%Y-%m-%d")
        days.setdefault(day, []).append(cloudfront_line(rng, request, edge_caches))
    names = []
    for day, lines in days.items():
        name = f"{DISTRIBUTION}.{day}-00.{rng.getrandbits(32):08x}.gz"
        (out / name).write_bytes(gzip_bytes(CLOUDFRONT_HEADER + "".join(l + "\n" for l in lines)))
        names.append(name)
    return names


def write_damaged_log(out, rng):
    """Static-file requests of one morning with three lines an importer must reject."""
    client = Client("198.51.100.77", BROWSERS[0][1], "NRT57-P1")
    traffic = Traffic(rng)
    t = at(2025, 5, 25, 1, 12, 5)
    while len(traffic.requests) < 50:
        path = rng.choice(["/css/site.css", "/js/app.js", "/img/logo.png", "/img/hero.png",
                           "/favicon.ico", "/robots.txt", "/img/map.png"])
        traffic.add(t, client, "GET", path, QUERY_OF_ASSET.get(path, ""), f"{SITE}/",
                    rng.randint(1025, 65535))
        t += rng.randint(1, 40)
    edge_caches = EdgeCaches(rng)
    lines = [cloudfront_line(rng, r, edge_caches) for r in traffic.requests]
    cells = lines[12].split("\t")
    cells[0] = "2025-13-45"
    bad_date = "\t".join(cells)
    cut = "\t".join(lines[30].split("\t")[:5])
    cells = lines[41].split("\t")
    cells[8] = "2OO"
    bad_status = "\t".join(cells)
    # Insert each bad line right after the line it was made from.
    lines[42:42] = [bad_status]
    lines[31:31] = [cut]
    lines[13:13] = [bad_date]
    bad = [2 + lines.index(line) + 1 for line in (bad_date, cut, bad_status)]
    (out / "cloudfront-damaged.log.gz").write_bytes(
        gzip_bytes(CLOUDFRONT_HEADER + "".join(l + "\n" for l in lines)))
    return {"file": "cloudfront-damaged.log.gz", "bad_lines": bad, "lines": len(lines)}


# --- Registration export --------------------------------------------------------------------

CSV_HEADER = ["受付番号", "登録日時", "団体名", "部署名", "氏名", "メールアドレス", "電話番号"]


def excel_time(t):
    d = jst(t)
    return f"{d.year}/{d.month}/{d.day} {d.hour}:{d.minute:02d}"


def csv_text(rows, line_end):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=line_end, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(CSV_HEADER)
    writer.writerows(rows)
    return buffer.getvalue()


def mapping(key, ttl, pages, extra_fields=None):
    document = {
        "registrations": {"encoding": "auto", "time_zone": "+09:00",
                          "columns": {"registration": "受付番号", "registered_at": "登録日時",
                                      "organization": "団体名", "department": "部署名",
                                      "name": "氏名", "email": "メールアドレス",
                                      "phone": "電話番号"}},
        "pages": pages,
        "cache": {"key": key, "ttl_seconds": ttl},
    }
    if extra_fields:
        document["log"] = {"extra_fields": extra_fields}
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def write_json(path, document):
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


# --- The CloudFront case, end to end --------------------------------------------------------

def generate_cloudfront(out):
    rng = random.Random(f"{SEED}:registrations")
    times = sample_registration_times(rng)
    organisations = make_organisations(rng, 190)
    weights = [3 if o.kind == "hospital" else 1.5 if o.kind in ("company", "insurer") else 1
               for o in organisations]
    addresses = AddressPool(random.Random(f"{SEED}:addresses"))
    emails = {}
    registrants = []
    for number in range(1, REGISTRATIONS + 1):
        organisation = rng.choices(organisations, weights)[0]
        if number <= 2:  # the two organisations whose names need quoting register first
            organisation = organisations[number - 1]
        department, name, email, phone = make_person(rng, organisation, emails)
        client = browser_client(rng, addresses, organisation.region)
        registrants.append(Registrant(f"R2025-{number:04d}", 0, organisation, department, name,
                                      email, phone, client))

    # Who plays which part, by position in time: three leak pairs on busy weekdays, owners
    # reloading, a page retry. Specials are kept apart so that each stays one story.
    roles = random.Random(f"{SEED}:roles")
    taken = {}

    def pick(low, high, width):
        candidates = [i for i in range(low, high)
                      if all(j not in taken for j in range(i - 2, i + width + 2))
                      and 9 <= jst(times[i]).hour < 18 and jst(times[i]).weekday() < 5]
        i = roles.choice(candidates)
        for j in range(i, i + width):
            taken[j] = True
        return i

    for low, high in ((60, 150), (230, 320), (380, 450)):
        source = pick(low, high, 2)
        registrants[source].role = "leak_source"
        registrants[source + 1].role = "leak_viewer"
        # The viewer reached the same CloudFront edge: that edge's cache served it.
        registrants[source + 1].client.edge = registrants[source].client.edge
    for _ in range(8):
        registrants[pick(20, 460, 1)].role = "owner_reload"
    for _ in range(2):
        registrants[pick(20, 460, 1)].role = "page_retry"

    pages = plan_registrations(roles, times, registrants)

    traffic_rng = random.Random(f"{SEED}:traffic")
    visitors = []
    for _ in range(45):
        visitors.append(browser_client(traffic_rng, addresses,
                                       traffic_rng.choice(["kanto", "kanto", "kansai"])))
    pages = plan_near_misses(roles, pages, registrants, visitors)
    by_rid = {r.rid: r for r in registrants}
    replay_plan(pages, TTL, by_rid)

    crawlers = []
    for ip, ua, edge in (("66.249.66.1", GOOGLEBOT, "SFO53-P7"),
                         ("66.249.66.33", GOOGLEBOT_SMARTPHONE, "SFO53-P7"),
                         ("66.249.68.5", GOOGLEBOT_SMARTPHONE, "IAD89-C1"),
                         ("66.249.79.12", GOOGLEBOT, "NRT20-C4")):
        crawlers.append((Client(ip, ua, edge, "HTTP/1.1"), 90))
    for ip, edge in (("157.55.39.10", "IAD89-P2"), ("40.77.167.21", "ORD58-P4"),
                     ("207.46.13.88", "IAD89-P2")):
        crawlers.append((Client(ip, BINGBOT, edge, "HTTP/1.1", "TLSv1.2",
                                "ECDHE-RSA-AES128-GCM-SHA256"), 50))
    monitor = Client("198.51.100.250", MONITOR, "IAD89-C2", "HTTP/1.1", "TLSv1.2",
                     "ECDHE-RSA-AES128-GCM-SHA256")
    scanners = [Client("192.0.2.254", ua, "NRT12-C3", "HTTP/1.1", "TLSv1.2",
                       "ECDHE-RSA-AES256-GCM-SHA384") for ua in SCANNERS]
    requests = generate_traffic(traffic_rng, registrants, pages, visitors, crawlers, monitor,
                                scanners)

    rows = [[r.rid, excel_time(r.post_at), r.organisation.name, r.department, r.name, r.email,
             r.phone] for r in registrants]
    (out / "registrations.csv").write_bytes(csv_text(rows, "\r\n").encode("cp932"))
    page_rule = {"path": "^/register/complete$", "registration": {"query": "rid"}}
    (out / "mapping.json").write_text(mapping("path", TTL, page_rule), encoding="utf-8")
    (out / "mapping-correct-key.json").write_text(mapping("path+query", TTL, page_rule),
                                                  encoding="utf-8")
    log_names = write_cloudfront_logs(out, random.Random(f"{SEED}:lines"), requests)
    damaged = write_damaged_log(out, random.Random(f"{SEED}:damaged"))

    page_requests = [r for r in requests if r.page is not None]
    leaks = [{"registration": r.page.served.rid, "viewer_registration": r.page.rid,
              "at": iso_ms(r.t), "request_id": r.request_id}
             for r in page_requests if r.page.kind == "leak_hit"]

    def count(kind):
        return sum(1 for page in pages if page.kind == kind)

    expected = {
        "registrations": REGISTRATIONS,
        "requests_for_pages": sum(1 for r in requests if r.path == PAGE_PATH),
        "leaks": leaks,
        "near_misses": {"owner_reload_hits": count("owner_reload"),
                        "foreign_403": count("foreign_403"),
                        "revalidation_304_after_other_fill": count("revalidation_304")},
        "damaged": damaged,
        "log_files": log_names,
        "log_lines": len(requests),
        # With the key the site should have had, the three Hits find no fill of their own page.
        "correct_key": {"mapping": "mapping-correct-key.json", "leaks": 0,
                        "hits_without_fill": len(leaks)},
    }
    write_json(out / "expected.json", expected)
    return expected


# ---------------------------------------------------------------------------------------------
# The nginx case
# ---------------------------------------------------------------------------------------------

NGINX_DAY = at(2025, 5, 20, zone=JST)
NGINX_TTL = 120
NGINX_INACTIVE = 600  # proxy_cache_path inactive=10m: an entry unused that long is gone
NGINX_PAGE = "/entry/done"
NGINX_SITE = "https://seminar-entry.example.jp"
NGINX_REGISTRATIONS = 30
NGINX_RESOURCES = {  # path → body bytes; proxied paths go through proxy_cache
    "/": 9824, "/entry": 12406, "/static/css/style.css": 18233, "/static/js/entry.js": 27541,
    "/static/img/logo.svg": 4120, "/static/img/banner.jpg": 143872, "/favicon.ico": 4286,
    "/robots.txt": 47,
}
NGINX_PROXIED = ("/", "/entry")
NGINX_ASSETS = {
    "/": ["/static/css/style.css", "/static/js/entry.js", "/static/img/logo.svg",
          "/static/img/banner.jpg", "/favicon.ico"],
    "/entry": ["/static/css/style.css", "/static/js/entry.js", "/static/img/logo.svg",
               "/favicon.ico"],
    NGINX_PAGE: ["/static/css/style.css", "/static/img/logo.svg", "/favicon.ico"],
}


def nginx_time(t):
    return jst(t).strftime("%d/%b/%Y:%H:%M:%S +0900")


def ga_cookie(rng, t):
    return f"_ga=GA1.1.{rng.randint(10 ** 9, 10 ** 10 - 1)}.{t - rng.randint(0, 40 * 86400)}"


class NginxCache:
    """proxy_cache for the proxied pages: HIT within 120 s of the store, EXPIRED when the
    entry is older but still there, MISS when it was never there or went inactive; requests
    with the staff's admin cookie BYPASS the cache (and refresh the entry)."""

    def __init__(self):
        self.stored = {}  # path → (stored at, last used)

    def status(self, request):
        if "admin_session=" in request.cookie:
            self.stored[request.path] = (request.t, request.t)
            return "BYPASS"
        entry = self.stored.get(request.path)
        if entry is not None and request.t - entry[0] <= NGINX_TTL:
            self.stored[request.path] = (entry[0], request.t)
            return "HIT"
        word = "EXPIRED" if entry is not None and request.t - entry[1] <= NGINX_INACTIVE else "MISS"
        self.stored[request.path] = (request.t, request.t)
        return word


def nginx_line(rng, request, cache, page_cache):
    client = request.client
    target = request.path + (f"?{request.query}" if request.query else "")
    if request.page is not None:
        page = request.page
        status = page.expect[1]
        word = page_cache.status(request)
        planned = page.expect[0]
        assert (word in ("MISS", "EXPIRED")) if planned == "fill" else word == planned, \
            f"nginx plan broken at {nginx_time(request.t)}: {word} for {planned}"
        body = page.served.page_bytes() if status == 200 else 0
    elif request.method == "POST":
        status, word, body = 303, "-", 0
    elif request.path not in NGINX_RESOURCES:
        status, word, body = 404, "MISS", 153  # proxied to the app, which knows no such page
    else:
        word = cache.status(request) if request.path in NGINX_PROXIED else "-"
        status, body = (304, 0) if request.conditional else (200, NGINX_RESOURCES[request.path])
    protocol = "HTTP/2.0" if client.protocol_version == "HTTP/2.0" else "HTTP/1.1"
    return (f'{client.ip} - - [{nginx_time(request.t)}] "{request.method} {target} {protocol}" '
            f'{status} {body} "{request.referer or "-"}" "{client.ua}" "{word}" '
            f'"{request.cookie or "-"}"')


def generate_nginx(out):
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(f"{SEED}:nginx")
    addresses = AddressPool(random.Random(f"{SEED}:nginx addresses"))
    organisations = make_organisations(rng, 40)
    emails = {}
    times = []
    while len(times) < NGINX_REGISTRATIONS:
        hour = rng.choices(range(24), HOUR_WEIGHTS)[0]
        if 9 <= hour <= 20:
            times.append(NGINX_DAY + hour * 3600 + rng.randrange(3600))
    times.sort()
    registrants = []
    for number in range(1, NGINX_REGISTRATIONS + 1):
        organisation = rng.choice(organisations)
        department, name, email, phone = make_person(rng, organisation, emails)
        client = browser_client(rng, addresses, "kanto")
        client.cookie = ga_cookie(rng, NGINX_DAY)
        registrants.append(Registrant(f"N-{number:03d}", 0, organisation, department, name,
                                      email, phone, client))
    source = rng.randrange(8, 20)
    registrants[source].role = "leak_source"
    registrants[source + 1].role = "leak_viewer"
    for i in (rng.randrange(2, 7), rng.randrange(22, 28)):
        registrants[i].role = "owner_reload"

    # The same walk as for CloudFront, with nginx's words: a fill is MISS or EXPIRED.
    pages = []
    last_fill = -10 ** 9
    i = 0
    while i < len(registrants):
        registrant = registrants[i]
        p = max(times[i], last_fill + NGINX_TTL + 1 + rng.randint(0, 120))
        registrant.post_at = p
        fill = p + rng.randint(1, 2)
        pages.append(PageRequest(fill, registrant, registrant.rid, "own", ("fill", 200)))
        last_fill = fill
        if registrant.role == "owner_reload":
            pages.append(PageRequest(fill + rng.randint(5, 90), registrant, registrant.rid,
                                     "owner_reload", ("HIT", 200)))
        elif registrant.role == "leak_source":
            viewer = registrants[i + 1]
            viewer.post_at = fill + rng.randint(20, 80)
            pages.append(PageRequest(viewer.post_at + 1, viewer, viewer.rid, "leak_hit",
                                     ("HIT", 200)))
            last_fill = fill + NGINX_TTL + rng.randint(15, 60)
            pages.append(PageRequest(last_fill, viewer, viewer.rid, "leak_reload",
                                     ("fill", 200)))
            i += 1
        i += 1
    # An early registrant's browser revalidates its page just after a later one's fill.
    later = [page for page in pages if page.kind == "own" and page.requester.role == "ordinary"
             and page.t > NGINX_DAY + 15 * 3600
             and clear_of_pages([q for q in pages if q is not page], page.t, 0, NGINX_TTL + 10)]
    fill = rng.choice(later)
    owner = next(r for r in registrants if r.role == "ordinary" and r.post_at < fill.t - 4 * 3600)
    pages.append(PageRequest(fill.t + rng.randint(10, 90), owner, owner.rid, "revalidation_304",
                             ("HIT", 304), conditional=True))
    pages.sort(key=lambda page: page.t)
    by_rid = {r.rid: r for r in registrants}
    replay_plan_nginx(pages, by_rid)

    traffic = Traffic(rng)
    for registrant in registrants:
        client = registrant.client
        visit = Visit(traffic, client, NGINX_ASSETS, NGINX_SITE)
        form_at = registrant.post_at - rng.randint(90, 600)
        if rng.random() < 0.5:
            visit.page(form_at - rng.randint(30, 300), "/",
                       referer=rng.choice(["", "https://www.google.com/"]))
        visit.page(form_at, "/entry", referer=f"{NGINX_SITE}/")
        visit.request(registrant.post_at, "/entry", referer=f"{NGINX_SITE}/entry", method="POST")
        # The 303 sets the cookie that names the registration on every later request.
        client.cookie = f"entry={registrant.rid}; {client.cookie}"
    for page in pages:
        visit = Visit(traffic, page.client, NGINX_ASSETS, NGINX_SITE)
        referer = "" if page.kind == "revalidation_304" else f"{NGINX_SITE}/entry"
        visit.page(page.t, NGINX_PAGE, referer=referer, with_assets=page.expect[1] == 200,
                   page=page, conditional=page.conditional)
    visitors = [browser_client(rng, addresses, "kanto") for _ in range(28)]
    for number, visitor in enumerate(visitors):
        visitor.cookie = ga_cookie(rng, NGINX_DAY) if number else (
            f"admin_session=s%3A{rng.getrandbits(64):016x}; " + ga_cookie(rng, NGINX_DAY))
        for _ in range(rng.randint(12, 20) if number == 0 else rng.randint(2, 9)):
            visit = Visit(traffic, visitor, NGINX_ASSETS, NGINX_SITE)
            t = daytime_between(rng, NGINX_DAY + 7 * 3600, NGINX_DAY + 86400 - 600, 7, 23)
            visit.page(t, "/", referer=rng.choice(["", "", "https://www.google.com/"]))
            if rng.random() < 0.4:
                visit.page(t + rng.randint(10, 90), "/entry", referer=f"{NGINX_SITE}/")
    for ip, ua, count in (("66.249.66.40", GOOGLEBOT, 45), ("157.55.39.61", BINGBOT, 25)):
        crawler = Client(ip, ua, "-", "HTTP/1.1")
        visit = Visit(traffic, crawler, {}, NGINX_SITE)
        visit.request(NGINX_DAY + rng.randrange(86400), "/robots.txt")
        for _ in range(count):
            visit.request(NGINX_DAY + rng.randrange(86400),
                          rng.choice(["/", "/static/css/style.css", "/static/img/banner.jpg",
                                      "/static/img/logo.svg", "/favicon.ico", "/sitemap.xml"]))
    monitor = Client("203.0.113.250", MONITOR, "-", "HTTP/1.1")
    t = NGINX_DAY + 30
    while t < NGINX_DAY + 86400:
        Visit(traffic, monitor, {}, NGINX_SITE).request(t, "/")
        t += 120
    requests = [r for r in traffic.requests if NGINX_DAY <= r.t < NGINX_DAY + 86400]
    requests.sort(key=lambda r: (r.t, r.seq))

    cache, page_cache = NginxCache(), NginxCache()
    lines = [nginx_line(rng, r, cache, page_cache) for r in requests]
    (out / "access.log").write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    rows = [[r.rid, jst(r.post_at).strftime("%Y-%m-%d %H:%M:%S"), r.organisation.name,
             r.department, r.name, r.email, r.phone] for r in registrants]
    (out / "registrations.csv").write_bytes(csv_text(rows, "\n").encode("utf-8-sig"))
    page_rule = {"path": "^/entry/done$", "registration": {"cookie": "entry"}}
    extra = ["upstream_cache_status", "cookie"]
    (out / "mapping.json").write_text(mapping("path", NGINX_TTL, page_rule, extra),
                                      encoding="utf-8")
    (out / "mapping-correct-key.json").write_text(
        mapping("path+cookie:entry", NGINX_TTL, page_rule, extra), encoding="utf-8")
    leaks = [{"registration": r.page.served.rid, "viewer_registration": r.page.rid,
              "at": iso_ms(r.t), "line": number}
             for number, r in enumerate(requests, 1)
             if r.page is not None and r.page.kind == "leak_hit"]

    def count(kind):
        return sum(1 for page in pages if page.kind == kind)

    expected = {
        "registrations": NGINX_REGISTRATIONS,
        "requests_for_pages": sum(1 for r in requests if r.path == NGINX_PAGE),
        "leaks": leaks,
        "near_misses": {"owner_reload_hits": count("owner_reload"), "foreign_403": 0,
                        "revalidation_304_after_other_fill": count("revalidation_304")},
        "log_lines": len(lines),
        "correct_key": {"mapping": "mapping-correct-key.json", "leaks": 0,
                        "hits_without_fill": len(leaks)},
    }
    write_json(out / "expected.json", expected)
    return expected


def replay_plan_nginx(pages, by_rid):
    """replay_plan with nginx's TTL and words (a 200 from the origin is a "fill")."""
    last_fill = None
    for page in pages:
        if last_fill is not None and page.t - last_fill.t <= NGINX_TTL:
            got = ("HIT", 304 if page.conditional else 200)
            page.served = None if page.conditional else by_rid[last_fill.rid]
        else:
            got = ("fill", 200)
            page.served = by_rid[page.rid]
            last_fill = page
        if got != page.expect:
            sys.exit(f"nginx plan broken: {page.kind} {page.rid} would be {got}")


# ---------------------------------------------------------------------------------------------
# The self-check: read the files back as the importer does and replay them as the review does
# ---------------------------------------------------------------------------------------------

HIT_WORDS = ("Hit", "HIT", "STALE", "UPDATING", "REVALIDATED")
STORING_WORDS = ("Miss", "RefreshHit", "MISS", "EXPIRED")


def percent_decode(text):
    # As engine/evidence/evidence_mapping.cc: %XX decoded, '+' is a space.
    out = bytearray()
    raw = text.encode("utf-8")
    i = 0
    hexdigits = b"0123456789abcdefABCDEF"
    while i < len(raw):
        if raw[i] == 0x25 and i + 2 < len(raw) and raw[i + 1] in hexdigits \
                and raw[i + 2] in hexdigits:
            out.append(int(raw[i + 1:i + 3], 16))
            i += 3
            continue
        out.append(0x20 if raw[i] == 0x2B else raw[i])
        i += 1
    return out.decode("utf-8", "replace")


def value_in_list(text, name, separator):
    for part in text.split(separator):
        part = part.lstrip(" ")
        if part.startswith(name + "="):
            return percent_decode(part[len(name) + 1:])
    return ""


class PageRules:
    def __init__(self, mapping_text):
        document = json.loads(mapping_text)
        self.path = re.compile(document["pages"]["path"])
        self.source = document["pages"]["registration"]
        self.key = document["cache"]["key"]
        self.ttl_ms = document["cache"]["ttl_seconds"] * 1000

    def registration_of(self, path, query, cookie):
        if not self.path.fullmatch(path):
            return None
        if "cookie" in self.source:
            return value_in_list(cookie, self.source["cookie"], ";")
        return value_in_list(query, self.source["query"], "&")

    def key_of(self, path, query, cookie):
        if self.key == "path+query":
            return f"{path}?{query}"
        if self.key.startswith("path+cookie:"):
            return f"{path}\ncookie={value_in_list(cookie, self.key[12:], ';')}"
        return path


def parse_cloudfront(text):
    """(parsed requests, bad line numbers) as engine/evidence/access_log.cc reads them."""
    columns, parsed, bad = None, [], []
    for number, line in enumerate(text.split("\n"), 1):
        if not line:
            continue
        if line.startswith("#"):
            if line.startswith("#Fields:"):
                columns = {name: i for i, name in enumerate(line[8:].split())}
            continue
        cells = line.split("\t")
        cell = {name: (cells[i] if i < len(cells) and cells[i] != "-" else "")
                for name, i in columns.items()}
        needed = max(columns[n] for n in ("date", "time", "c-ip", "cs-uri-stem", "sc-status"))
        match = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)", cell["date"])
        clock = re.fullmatch(r"(\d\d):(\d\d):(\d\d)", cell["time"])
        if len(cells) <= needed or not match or not clock or not 1 <= int(match[2]) <= 12 \
                or not 1 <= int(match[3]) <= 31 or not cell["sc-status"].isdigit():
            bad.append(number)
            continue
        t = at(int(match[1]), int(match[2]), int(match[3]), int(clock[1]), int(clock[2]),
               int(clock[3]))
        parsed.append({"at_ms": t * 1000, "client": cell["c-ip"] + "\0" +
                       percent_decode(cell["cs(User-Agent)"]), "path": cell["cs-uri-stem"],
                       "query": cell["cs-uri-query"], "cookie": percent_decode(cell["cs(Cookie)"]),
                       "status": int(cell["sc-status"]), "cache": cell["x-edge-result-type"],
                       "id": cell["x-edge-request-id"]})
    return parsed, bad


NGINX_LINE = re.compile(
    r'(\S+) \S+ \S+ \[([^\]]+)\] "([^"]*)" (\d+) (\d+|-) "([^"]*)" "([^"]*)" "([^"]*)" '
    r'"([^"]*)"')


def parse_nginx(text):
    parsed = []
    for number, line in enumerate(text.split("\n"), 1):
        if not line:
            continue
        match = NGINX_LINE.fullmatch(line)
        assert match, f"access.log:{number} does not parse"
        when = datetime.datetime.strptime(match[2], "%d/%b/%Y:%H:%M:%S %z")
        target = match[3].split(" ")[1]
        path, _, query = target.partition("?")
        dash = lambda s: "" if s == "-" else s  # noqa: E731
        parsed.append({"at_ms": int(when.timestamp()) * 1000, "client": match[1] + "\0" +
                       dash(match[7]), "path": path, "query": query,
                       "cookie": dash(match[9]), "status": int(match[4]),
                       "cache": dash(match[8]), "id": number})
    return parsed


def review(requests, rules):
    """projections/external_evidence.cc in a few lines: (leaks, hits without a fill)."""
    pages = []
    for request in requests:
        registration = rules.registration_of(request["path"], request["query"],
                                             request["cookie"])
        if registration is not None:
            pages.append(dict(request, registration=registration,
                              key=rules.key_of(request["path"], request["query"],
                                               request["cookie"])))
    pages.sort(key=lambda r: r["at_ms"])  # stable: ties keep the file order
    ok = lambda r: 200 <= r["status"] < 300  # noqa: E731
    owner, first_asker = {}, {}
    for r in pages:
        if not r["registration"]:
            continue
        first_asker.setdefault(r["registration"], r["client"])
        if ok(r) and r["cache"] not in HIT_WORDS:
            owner.setdefault(r["registration"], r["client"])
    for registration, client in first_asker.items():
        owner.setdefault(registration, client)
    owned_by = {}
    for registration, client in owner.items():
        owned_by.setdefault(client, []).append(registration)
    cache, leaks, without_fill = {}, [], 0
    for r in pages:
        if not ok(r):
            continue
        if r["cache"] in HIT_WORDS:
            fill = cache.get(r["key"])
            if fill is None or r["at_ms"] - fill[1] > rules.ttl_ms:
                without_fill += 1
                continue
            served = fill[0]
        else:
            served = r["registration"]
            if r["cache"] in STORING_WORDS:
                cache[r["key"]] = (r["registration"], r["at_ms"])
        if served and owner.get(served) != r["client"]:
            viewer = sorted(owned_by.get(r["client"], []))
            assert len(viewer) == 1, f"the viewer of {served} owns {viewer}"
            leaks.append({"registration": served, "viewer_registration": viewer[0],
                          "at_ms": r["at_ms"], "id": r["id"]})
    return pages, owner, leaks, without_fill


def near_misses(pages, owner, ttl_ms):
    """Counts the near-misses from the logs alone, to compare with what the plan said."""
    last_fill, counts = None, {"owner_reload_hits": 0, "foreign_403": 0,
                               "revalidation_304_after_other_fill": 0}
    for r in pages:
        is_hit = r["cache"] in HIT_WORDS
        if 200 <= r["status"] < 300 and is_hit and last_fill \
                and r["at_ms"] - last_fill[1] <= ttl_ms and owner[last_fill[0]] == r["client"]:
            counts["owner_reload_hits"] += 1
        if r["status"] == 403 and owner.get(r["registration"]) != r["client"]:
            counts["foreign_403"] += 1
        if r["status"] == 304 and is_hit and last_fill and r["at_ms"] - last_fill[1] <= ttl_ms \
                and owner[last_fill[0]] != r["client"]:
            counts["revalidation_304_after_other_fill"] += 1
        if 200 <= r["status"] < 300 and r["cache"] in STORING_WORDS:
            last_fill = (r["registration"], r["at_ms"])
    return counts


def read_csv(path, encoding):
    with open(path, newline="", encoding=encoding) as stream:
        return list(csv.reader(stream))


def check_cloudfront(out, expected):
    raw = (out / "registrations.csv").read_bytes()
    try:
        raw.decode("utf-8")
        raise AssertionError("registrations.csv is valid UTF-8: encoding auto would not read "
                             "it as CP932")
    except UnicodeDecodeError:
        pass
    assert raw.count(b"\r\n") == raw.count(b"\n") == REGISTRATIONS + 1
    rows = read_csv(out / "registrations.csv", "cp932")
    assert rows[0] == CSV_HEADER and len(rows) == REGISTRATIONS + 1
    assert any("," in row[2] for row in rows) and any('"' in row[2] for row in rows)
    registered_at = {row[0]: row[1] for row in rows[1:]}

    requests = []
    for name in expected["log_files"]:
        text = gzip.decompress((out / name).read_bytes()).decode("utf-8")
        assert text.startswith(CLOUDFRONT_HEADER)
        parsed, bad = parse_cloudfront(text)
        assert not bad, f"{name}: bad lines {bad}"
        assert all(utc(r["at_ms"] // 1000).strftime("%Y-%m-%d") in name for r in parsed)
        requests += parsed
    assert len(requests) == expected["log_lines"]
    assert all(a["at_ms"] <= b["at_ms"] for a, b in zip(requests, requests[1:]))

    rules = PageRules((out / "mapping.json").read_text(encoding="utf-8"))
    pages, owner, leaks, without_fill = review(requests, rules)
    assert len(pages) == expected["requests_for_pages"]
    found = [{"registration": l["registration"], "viewer_registration":
              l["viewer_registration"], "at": iso_ms(l["at_ms"] // 1000), "request_id": l["id"]}
             for l in leaks]
    assert found == expected["leaks"] and len(found) == 3, f"leaks found: {found}"
    assert without_fill == 0
    assert near_misses(pages, owner, rules.ttl_ms) == expected["near_misses"]
    # Every registration is owned by the client that POSTed it, at the minute the CSV says.
    posted = {}
    for r in requests:
        if r["path"] == "/register" and r["status"] == 302:
            assert r["client"] not in posted, "a client registered twice"
            posted[r["client"]] = r["at_ms"] // 1000
    assert len(owner) == REGISTRATIONS
    for registration, client in owner.items():
        assert excel_time(posted[client]) == registered_at[registration], registration

    correct = PageRules((out / "mapping-correct-key.json").read_text(encoding="utf-8"))
    _, _, leaks, without_fill = review(requests, correct)
    assert not leaks, f"leaks with the correct key: {leaks}"
    assert without_fill == expected["correct_key"]["hits_without_fill"]

    damaged = expected["damaged"]
    text = gzip.decompress((out / damaged["file"]).read_bytes()).decode("utf-8")
    parsed, bad = parse_cloudfront(text)
    assert bad == damaged["bad_lines"], bad
    assert len(parsed) + len(bad) == damaged["lines"] == len(text.splitlines()) - 2
    assert not any(r["path"] == PAGE_PATH for r in parsed)


def check_nginx(out, expected):
    raw = (out / "registrations.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r" not in raw
    rows = read_csv(out / "registrations.csv", "utf-8-sig")
    assert rows[0] == CSV_HEADER and len(rows) == NGINX_REGISTRATIONS + 1
    requests = parse_nginx((out / "access.log").read_text(encoding="utf-8"))
    assert len(requests) == expected["log_lines"]
    rules = PageRules((out / "mapping.json").read_text(encoding="utf-8"))
    pages, owner, leaks, without_fill = review(requests, rules)
    assert len(pages) == expected["requests_for_pages"]
    found = [{"registration": l["registration"], "viewer_registration":
              l["viewer_registration"], "at": iso_ms(l["at_ms"] // 1000), "line": l["id"]}
             for l in leaks]
    assert found == expected["leaks"] and len(found) == 1, f"nginx leaks found: {found}"
    assert without_fill == 0
    assert near_misses(pages, owner, rules.ttl_ms) == expected["near_misses"]
    assert len(owner) == NGINX_REGISTRATIONS
    correct = PageRules((out / "mapping-correct-key.json").read_text(encoding="utf-8"))
    _, _, leaks, without_fill = review(requests, correct)
    assert not leaks and without_fill == expected["correct_key"]["hits_without_fill"]


def main():
    out = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "tests/data/external"
    out.mkdir(parents=True, exist_ok=True)
    expected = generate_cloudfront(out)
    nginx_expected = generate_nginx(out / "nginx")
    check_cloudfront(out, expected)
    check_nginx(out / "nginx", nginx_expected)
    for leak in expected["leaks"] + nginx_expected["leaks"]:
        print(f"leak: {leak['registration']} shown to {leak['viewer_registration']} at "
              f"{leak['at']}")
    print(f"{out}: {expected['log_lines']} CloudFront lines, "
          f"{nginx_expected['log_lines']} nginx lines; self-check passed")


if __name__ == "__main__":
    main()
