"""Names and message texts of the sample community (Chinese and English, developer talk).

Everything here is static data plus cheap, deterministic builders: a text is picked by
integers drawn up front with numpy (template index, slot values), so the same message gets
the same text in every export that contains it, and millions of texts cost one
``str.format`` each.
"""

from __future__ import annotations

# --------------------------------------------------------------------------------------
# People
# --------------------------------------------------------------------------------------

SURNAMES = [
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"),
    ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"), ("徐", "xu"), ("孙", "sun"),
    ("马", "ma"), ("朱", "zhu"), ("胡", "hu"), ("郭", "guo"), ("何", "he"), ("林", "lin"),
    ("高", "gao"), ("罗", "luo"), ("郑", "zheng"), ("梁", "liang"), ("谢", "xie"), ("宋", "song"),
    ("唐", "tang"), ("许", "xu"), ("韩", "han"), ("冯", "feng"), ("邓", "deng"), ("曹", "cao"),
    ("彭", "peng"), ("曾", "zeng"), ("肖", "xiao"), ("田", "tian"), ("董", "dong"), ("潘", "pan"),
    ("袁", "yuan"), ("蔡", "cai"), ("蒋", "jiang"), ("余", "yu"), ("于", "yu"), ("杜", "du"),
    ("叶", "ye"), ("程", "cheng"), ("魏", "wei"), ("苏", "su"), ("吕", "lv"), ("丁", "ding"),
    ("任", "ren"), ("沈", "shen"), ("姚", "yao"), ("卢", "lu"), ("姜", "jiang"), ("崔", "cui"),
    ("钟", "zhong"), ("谭", "tan"), ("陆", "lu"), ("汪", "wang"), ("范", "fan"), ("方", "fang"),
]

GIVEN = [
    ("浩", "hao"), ("思远", "siyuan"), ("子涵", "zihan"), ("雨桐", "yutong"), ("一鸣", "yiming"),
    ("欣怡", "xinyi"), ("俊杰", "junjie"), ("梓萱", "zixuan"), ("宇轩", "yuxuan"), ("诗琪", "shiqi"),
    ("博文", "bowen"), ("佳琪", "jiaqi"), ("晨", "chen"), ("磊", "lei"), ("静", "jing"), ("敏", "min"),
    ("伟", "wei"), ("芳", "fang"), ("强", "qiang"), ("婷", "ting"), ("杰", "jie"), ("琳", "lin"),
    ("鹏", "peng"), ("娜", "na"), ("涛", "tao"), ("倩", "qian"), ("明轩", "mingxuan"), ("若曦", "ruoxi"),
    ("天佑", "tianyou"), ("可馨", "kexin"), ("嘉懿", "jiayi"), ("煜城", "yucheng"), ("梦洁", "mengjie"),
    ("志强", "zhiqiang"), ("晓东", "xiaodong"), ("海洋", "haiyang"), ("文博", "wenbo"), ("雪", "xue"),
    ("凯", "kai"), ("昊天", "haotian"), ("雅婷", "yating"), ("泽宇", "zeyu"), ("一诺", "yinuo"),
    ("思彤", "sitong"), ("皓轩", "haoxuan"), ("语嫣", "yuyan"), ("子墨", "zimo"), ("清扬", "qingyang"),
    ("远航", "yuanhang"), ("星辰", "xingchen"), ("乐", "le"), ("毅", "yi"), ("飞", "fei"), ("丹", "dan"),
    ("斌", "bin"), ("超", "chao"), ("健", "jian"), ("晶", "jing"), ("瑶", "yao"), ("旭", "xu"),
]

EN_FIRST = [
    "Kevin", "Tony", "Alice", "Eric", "Jason", "Cindy", "Leo", "Vivian", "Jack", "Amy", "Ryan",
    "Grace", "Frank", "Helen", "Sam", "Lucy", "Oscar", "Iris", "Henry", "Nina", "Victor", "Emma",
    "Daniel", "Sophie", "Mike", "Chloe", "Bruce", "Ivy", "Peter", "Luna", "Alex", "Mia", "Ben",
    "Zoe", "Ethan", "Ruby", "Owen", "Ella", "Max", "Ada",
]

# Appended to a display name that is already taken (platform display names repeat in real
# life, but the sample keeps them unique so Telegram service messages, which name members
# only by display name, can be resolved).
NAME_SUFFIXES_ZH = ["| 深圳", "| 杭州", "@独立开发", "| 北京", "🚀", "| 成都", "@开源", "| 上海", "✨", "| 广州"]
NAME_SUFFIXES_EN = ["| SZ", "| HZ", "(indie)", "| BJ", "🚀", "| CD", "(OSS)", "| SH", "✨", "| GZ"]

REGIONS_ZH = ["北京", "上海", "深圳", "杭州", "广州", "成都", "武汉", "南京", "西安", "苏州", "厦门", "香港", "海外"]
REGIONS_EN = ["Beijing", "Shanghai", "Shenzhen", "Hangzhou", "Guangzhou", "Chengdu", "Wuhan", "Nanjing",
              "Xi'an", "Suzhou", "Xiamen", "Hong Kong", "Overseas"]
REGION_WEIGHTS = [14, 14, 16, 12, 7, 7, 5, 5, 4, 4, 3, 3, 6]

GENDERS_ZH = ["男", "女", "未透露"]
GENDERS_EN = ["male", "female", "undisclosed"]
GENDER_WEIGHTS = [62, 28, 10]

AGE_BANDS = ["18-24", "25-34", "35-44", "45+"]
AGE_WEIGHTS = [24, 48, 22, 6]

# acquisition channel, weight, activity multiplier (how engaged people from it become)
ACQ_ZH = ["朋友推荐", "公众号文章", "GitHub", "技术大会", "线下活动", "搜索引擎", "B站视频", "即刻"]
ACQ_EN = ["referral", "wechat_article", "github", "conference", "offline_event", "search", "video", "social"]
ACQ_WEIGHTS = [20, 18, 15, 8, 10, 12, 10, 7]
ACQ_ACTIVITY = [1.6, 0.9, 1.3, 1.1, 1.4, 0.6, 0.8, 0.7]
ACQ_OFFLINE = 4      # index of the offline-event channel (campaign joiners)

# --------------------------------------------------------------------------------------
# Message text
# --------------------------------------------------------------------------------------

SLOTS = {
    "tool": ["Rust", "Go", "Python", "TypeScript", "Node.js", "Bun", "Deno", "Docker", "Kubernetes",
             "Next.js", "Vue 3", "React", "Tauri", "Flutter", "DuckDB", "PostgreSQL", "Redis", "SQLite",
             "Tailwind", "Vite", "pnpm", "uv", "FastAPI", "LangChain", "Ollama", "Svelte", "Nginx",
             "ClickHouse", "gRPC", "WebAssembly"],
    "ver": ["1.2", "2.0", "3.11", "3.12", "18", "20", "22 LTS", "0.9", "1.80", "1.22", "5.4", "15", "16.2", "4.1"],
    "os": ["macOS 15", "Ubuntu 24.04", "Windows 11", "WSL2", "Arch Linux", "Debian 12", "M3 MacBook", "树莓派 5"],
    "err": ["permission denied", "EADDRINUSE: address already in use :::3000", "error[E0502]: cannot borrow x as mutable",
            "ModuleNotFoundError: No module named 'numpy'", "CORS policy: No 'Access-Control-Allow-Origin'",
            "OOMKilled", "segmentation fault (core dumped)", "connection reset by peer", "SSL: CERTIFICATE_VERIFY_FAILED",
            "ERR_PNPM_PEER_DEP_ISSUES", "context deadline exceeded", "hydration mismatch", "too many open files",
            "exit code 137", "TypeError: Cannot read properties of undefined"],
    "cmd": ["cargo clean && cargo build", "pnpm store prune", "docker system prune -a", "uv sync --frozen",
            "git rebase -i HEAD~3", "kubectl rollout restart deploy/api", "npm ci", "ulimit -n 65535",
            "export NODE_OPTIONS=--max-old-space-size=4096", "brew upgrade", "go mod tidy", "pip install -U pip"],
    "proj": ["记账小程序", "RSS 阅读器", "独立博客", "Chrome 插件", "AI 写作助手", "番茄钟 App", "开源图床",
             "个人知识库", "Discord 机器人", "CLI 工具", "SaaS 模板", "菜谱推荐网站"],
    "proj_en": ["budget tracker", "RSS reader", "personal blog", "Chrome extension", "AI writing assistant",
                "pomodoro app", "open-source image host", "knowledge base", "Discord bot", "CLI tool",
                "SaaS starter", "recipe site"],
    "n": ["3", "5", "10", "20", "50", "100", "200", "1000"],
    "city": ["深圳", "杭州", "北京", "上海", "成都", "广州"],
    "url": ["https://github.com/spark-dev/awesome-indie", "https://docs.rs/tokio", "https://duckdb.org/docs/",
            "https://nextjs.org/docs", "https://github.com/spark-dev/spark-cli", "https://sparkdev.cn/blog/weekly-42",
            "https://www.rust-lang.org/learn", "https://tauri.app/start/"],
}

# Top-level messages by channel role. {x} slots are filled from SLOTS; {campaign} from the
# running campaign.
TOP_ZH = {
    "general": [
        "早上好各位，今天有人去 {city} 的 meetup 吗？",
        "分享一篇最近读到的好文：{url}",
        "最近在用 {tool} 重写 {proj}，性能提升了 {n} 倍，太香了",
        "大家平时都用什么做部署？我现在是 Docker + Nginx，感觉有点重",
        "有没有人在做出海产品？想聊聊 Stripe 收款和报税的问题",
        "周末又肝了一个 {proj}，欢迎大家试用提意见 🙏",
        "{tool} {ver} 发布了，changelog 里那个新特性终于来了",
        "独立开发第 {n} 天，终于有第一个付费用户了！",
        "大家觉得 {tool} 和 {tool2} 哪个更适合小团队？",
        "有人用过 Cloudflare Workers 做后端吗？冷启动怎么样",
        "今天被产品经理问能不能用 AI 一键生成整个 App 😂",
        "推荐一个挺好用的开源项目，专门做 {tool} 的性能分析",
        "现在找远程工作好难啊，大家有内推渠道吗",
        "问一下大家的 side project 都是怎么获客的？",
        "刚把博客从 Hexo 迁到 Astro，构建快了很多",
        "我们组要招一个 {tool} 后端，base {city}，有兴趣私聊",
        "分享一下这周踩的坑：{tool} 默认配置下会 {err}",
        "晚上 9 点有人一起直播 coding 吗",
        "用 {tool} 写了个小工具，每天自动整理 GitHub star",
        "感觉这个社区越来越热闹了，欢迎新朋友们 👋",
    ],
    "help": [
        "求助：{os} 上装 {tool} {ver} 一直报 `{err}`，试了很多办法都不行",
        "有人遇到过 `{err}` 吗？本地好好的，一上线就挂",
        "{tool} 里怎么优雅地处理并发请求？现在用锁感觉性能很差",
        "新手提问：{tool} 和 {tool2} 的区别是什么，应该先学哪个？",
        "CI 里 `{cmd}` 之后还是失败，日志里只有 `{err}`",
        "请教一下 {tool} 的内存一直涨，怎么排查内存泄漏？",
        "部署到 k8s 后 pod 一直重启，describe 看到 {err}，求思路",
        "想在 {proj} 里加登录功能，用 OAuth 还是自己写 JWT 比较好？",
        "{tool} 的类型报错看不懂，有大佬能帮忙看看吗",
        "DuckDB 读 50GB 的 parquet 会爆内存吗？需要怎么设置",
        "小程序审核被拒了三次，理由是「功能不完整」，有经验的朋友吗",
        "数据库要不要分表？现在单表 {n} 万行，查询开始变慢了",
    ],
    "showcase": [
        "【作品展示】花了 {n} 个周末做的 {proj} 上线了，基于 {tool}，欢迎拍砖",
        "开源了一个 {tool} 写的 {proj}，求 star ⭐ {url}",
        "{proj} 新版本：支持暗黑模式和离线使用",
        "给大家看看我做的 {proj}，月活刚过 {n}",
        "用 {tool} + {tool2} 做了一个 {proj}，代码都在 GitHub 上",
    ],
    "random": [
        "今天的咖啡好难喝 ☕",
        "周五了，大家周末有什么安排？",
        "有没有人推荐好用的机械键盘",
        "刚看完一部讲程序员的纪录片，挺有意思",
        "下雨天适合写代码 🌧️",
        "大家都几点睡？我又熬到两点了",
    ],
    "oss": [
        "这周给 {tool} 提了第一个 PR，被 merge 了，开心",
        "有人想一起给 {proj} 贡献代码吗？issue 都标了 good first issue",
        "开源项目的文档大家一般用什么工具写？",
        "发现 {tool} 有个 bug，已经提 issue 了：{url}",
    ],
    "events": [
        "{campaign} 报名了吗？听说名额不多了",
        "{campaign} 有人组队吗？我会 {tool}，缺一个前端",
        "{campaign} 的回放在哪里看？",
        "参加完 {campaign}，收获很大，感谢组织者 🙏",
    ],
}

TOP_EN = {
    "general": [
        "Morning folks, anyone going to the {city} meetup today?",
        "Sharing a good read from this week: {url}",
        "Rewrote my {proj_en} in {tool} and it is {n}x faster now",
        "What does everyone use for deployment these days? Docker + Nginx feels heavy",
        "Anyone shipping products overseas? Would love to chat about Stripe and taxes",
        "Hacked on a {proj_en} all weekend, feedback very welcome 🙏",
        "{tool} {ver} is out and that feature finally landed",
        "Day {n} of indie hacking: first paying customer today!",
        "{tool} or {tool2} for a small team, what do you think?",
        "Has anyone run a backend on Cloudflare Workers? How are cold starts?",
        "How do you all find users for your side projects?",
        "This community keeps getting busier, welcome to all the new folks 👋",
    ],
    "help": [
        "Help: installing {tool} {ver} on {os} keeps failing with `{err}`",
        "Has anyone seen `{err}`? Works locally, breaks in production",
        "What is the idiomatic way to handle concurrent requests in {tool}?",
        "Beginner question: {tool} vs {tool2}, which one should I learn first?",
        "CI still fails after `{cmd}`, the log only says `{err}`",
        "Memory keeps growing in my {tool} service, how do you hunt leaks?",
        "Should I shard this table? {n}k rows and queries are getting slow",
    ],
    "showcase": [
        "[Showcase] my {proj_en} built with {tool} is live, roast it please",
        "Open-sourced a {proj_en} written in {tool}, stars welcome ⭐ {url}",
        "New release of my {proj_en}: dark mode and offline support",
    ],
    "random": [
        "Friday! Plans for the weekend?",
        "Any mechanical keyboard recommendations?",
        "Rainy days are for coding 🌧️",
    ],
    "oss": [
        "My first PR to {tool} got merged this week 🎉",
        "Anyone want to contribute to {proj_en}? Issues are tagged good first issue",
        "Found a bug in {tool}, filed it here: {url}",
    ],
    "events": [
        "Did you sign up for {campaign}? Seats are running out",
        "Looking for a team for {campaign}, I do {tool} and need a frontend person",
        "Just got back from {campaign}, learned a lot, thanks organisers 🙏",
    ],
}

REPLY_ZH = [
    "我也遇到过，把 {tool} 升级到 {ver} 就好了",
    "试试 `{cmd}`",
    "+1，同问",
    "感谢分享！",
    "这个我踩过坑，关键是环境变量没生效",
    "可以看看官方文档这一节：{url}",
    "同意，{tool} 在这个场景下确实更合适",
    "厉害了 👍",
    "mark 一下，回头细看",
    "我们公司也是这么做的，稳定跑了一年多",
    "建议先加日志定位，不要盲猜",
    "有没有 demo 仓库？想学习一下",
    "这个问题在 issue 里有讨论，是已知 bug",
    "哈哈哈哈太真实了",
    "能具体说说你的配置吗？",
    "我觉得可以先用 SQLite，后面再迁",
    "已 star ⭐",
    "这个思路不错，学到了",
]

REPLY_EN = [
    "Had the same issue, upgrading {tool} to {ver} fixed it",
    "Try `{cmd}`",
    "+1, same question here",
    "Thanks for sharing!",
    "Check this section of the docs: {url}",
    "Agreed, {tool} fits this use case better",
    "Nice work 👍",
    "Can you share your config?",
    "It's a known bug, there's an issue for it",
    "Starred ⭐",
]

SELF_REPLY_ZH = [
    "补充一下：我用的是 {os}",
    "解决了！原来是版本不对，谢谢大家 🙏",
    "更新：重启之后好了，但不知道为什么",
    "贴一下完整日志：`{err}`",
]

SELF_REPLY_EN = [
    "Update: I'm on {os}",
    "Solved! Wrong version, thanks all 🙏",
    "Full log: `{err}`",
]

EDIT_SUFFIX_ZH = ["（已解决）", "（更正：版本号写错了）", " 补充：已经试过重装", "（链接已更新）"]
EDIT_SUFFIX_EN = [" (solved)", " (edit: fixed the version)", " edit: already tried reinstalling", " (link updated)"]

SPAM_ZH = ["加我微信领取免费课程资料 vx: free_course_888", "💰 日赚 500，轻松兼职，私聊我", "出售各类云服务器账号，价格美丽"]
SPAM_EN = ["DM me for free crypto signals 💰💰", "Earn $500 a day from home, message me", "Cheap cloud accounts for sale"]

BOT_WELCOME_ZH = "欢迎 {mention} 加入星火开发者社区！请先阅读置顶的社区守则，有问题可以在 #help 提问 👋"
BOT_WELCOME_EN = "Welcome {mention} to Spark Developer Community! Please read the pinned guidelines first 👋"
BOT_DIGEST_ZH = ["📮 本周社区周报：新增成员 {n} 人，热门话题：{tool}、{tool2}。详情见 {url}",
                 "📌 每日一题：{tool} 中如何实现优雅停机？欢迎在讨论串里作答",
                 "📅 活动提醒：{campaign} 即将开始，报名链接见置顶"]
BOT_DIGEST_EN = ["📮 Weekly digest: {n} new members, hot topics: {tool}, {tool2}. More at {url}",
                 "📌 Question of the day: graceful shutdown in {tool}? Answer in the thread",
                 "📅 Reminder: {campaign} starts soon, sign-up link is pinned"]
GITHUB_ZH = ["[spark-cli:main] {n} new commits pushed by {user}", "[spark-cli] Pull request opened: #{n} 支持 {tool} 插件 by {user}",
             "[awesome-indie] Issue opened: #{n} 推荐 {tool} 相关资源 by {user}", "[spark-cli] Release v0.{n} published by {user}"]
GITHUB_EN = ["[spark-cli:main] {n} new commits pushed by {user}", "[spark-cli] Pull request opened: #{n} add {tool} plugin by {user}",
             "[awesome-indie] Issue opened: #{n} more {tool} resources by {user}", "[spark-cli] Release v0.{n} published by {user}"]

# channel topics/purposes; the last two are later topics of the main channel
TOPIC_ZH = ["社区公告与日常交流，请友善发言", "技术求助：提问前请先搜索，贴上报错和环境信息", "展示你的作品，欢迎反馈",
            "闲聊灌水", "开源项目协作", "活动报名与组队", "欢迎新朋友！请先阅读置顶的社区守则",
            "🎉 活动报名进行中，详情见置顶"]
TOPIC_EN = ["Announcements and everyday chat, be kind", "Tech help: search first, include the error and your setup",
            "Show your work", "Off-topic", "Open-source collaboration", "Events and team-ups",
            "Welcome! Please read the pinned guidelines first", "🎉 Event sign-ups are open, see the pins"]

FILE_KINDS = [  # name, mimetype, filetype, pretty_type
    ("screenshot.png", "image/png", "png", "PNG"),
    ("error-log.txt", "text/plain", "text", "Plain Text"),
    ("架构图.jpg", "image/jpeg", "jpg", "JPEG"),
    ("demo.mp4", "video/mp4", "mp4", "MPEG 4 Video"),
    ("config.yaml", "text/plain", "yaml", "YAML"),
    ("slides.pdf", "application/pdf", "pdf", "PDF"),
]


def top_templates(language_zh: bool, role: str) -> list[str]:
    table = TOP_ZH if language_zh else TOP_EN
    return table.get(role) or table["general"]


def fill(template: str, a: int, b: int, campaign: str = "", user: str = "") -> str:
    """Fill a template's slots deterministically from two integers."""
    if "{" not in template:
        return template
    s = SLOTS
    return template.format(
        tool=s["tool"][a % len(s["tool"])],
        tool2=s["tool"][(a // 7 + b + 3) % len(s["tool"])],
        ver=s["ver"][b % len(s["ver"])],
        os=s["os"][(a + b) % len(s["os"])],
        err=s["err"][(a * 3 + b) % len(s["err"])],
        cmd=s["cmd"][(a + 2 * b) % len(s["cmd"])],
        proj=s["proj"][b % len(s["proj"])],
        proj_en=s["proj_en"][b % len(s["proj_en"])],
        n=s["n"][(a + b) % len(s["n"])],
        city=s["city"][b % len(s["city"])],
        url=s["url"][(a + b) % len(s["url"])],
        campaign=campaign,
        user=user,
    )
