/* Yizhan rider page: every word on the page, zh first and en beside it, keyed by message id.
 * {name} slots are filled by YizhanRider.t() with text (never markup). Also the amenity
 * vocabulary (kept equal to stations/amenities.py by tests/api/test_rider_page.py), the chips,
 * report categories and the map's tile sources (equal to api/maps/texts.py TILE_SOURCES).
 */
(function () {
  "use strict";
  var R = window.YizhanRider = window.YizhanRider || {};

  R.LANGS = ["zh", "en"];
  R.HTML_LANG = { zh: "zh-CN", en: "en" };

  R.WORDS = {
    title: ["驿站 · 找附近休息点", "Yizhan · rest stops nearby"],
    skip: ["跳到结果", "Skip to results"],
    lang_switch: ["English", "中文"],
    lang_switch_label: ["Switch to English", "切换到中文"],
    where_heading: ["我的位置", "Where I am"],
    locate: ["定位我的位置", "Locate me"],
    locating: ["正在定位…", "Locating…"],
    located: ["已定位（精度约 {m} 米）", "Located (within about {m} m)"],
    picked: ["已把地图上点的位置设为你的位置", "Using the place you picked on the map"],
    saved_position: ["使用上次的位置（{time}）· 点“定位我的位置”更新",
      "Using your last position ({time}) · tap “Locate me” to update"],
    denied: [
      "没有定位权限。请在浏览器或微信的设置里允许本页面使用“位置”，再点“定位我的位置”；也可以直接在地图上点你所在的地方。",
      "Location permission was refused. Allow this page to use your location in the browser's (or WeChat's) settings, then tap “Locate me” again, or tap where you are on the map."
    ],
    insecure: [
      "这个网址不是 https，浏览器不允许它定位。请在地图上点你所在的地方。",
      "This address is not https, so the browser will not locate you here. Tap where you are on the map."
    ],
    unavailable: [
      "现在得不到你的位置（信号弱或定位服务关着）。请稍后再试，或在地图上点你所在的地方。",
      "Your position is not available right now (weak signal or location services off). Try again, or tap where you are on the map."
    ],
    timeout: [
      "10 秒内没有定位成功。请到开阔处再试，或在地图上点你所在的地方。",
      "No position within 10 seconds. Try again in the open, or tap where you are on the map."
    ],
    unsupported: ["这个浏览器不能定位。请在地图上点你所在的地方。",
      "This browser cannot locate you. Tap where you are on the map."],
    pick_on_map: ["在地图上选位置", "Pick on the map"],
    filters_heading: ["需要什么", "What you need"],
    open_now: ["营业中", "Open now"],
    results_heading: ["附近的驿站", "Stations nearby"],
    need_position: ["先定位，或在地图上点你的位置，就能看到附近的驿站。",
      "Locate yourself, or tap the map, to see the stations nearby."],
    searching: ["正在查找…", "Searching…"],
    found_one: ["找到 {n} 个驿站。最近的是 {name}，{distance}。",
      "Found {n} station. The nearest is {name}, {distance}."],
    found: ["找到 {n} 个驿站。最近的是 {name}，{distance}。",
      "Found {n} stations. The nearest is {name}, {distance}."],
    found_none: ["附近没有符合条件的驿站。少选几项设施，或关掉“营业中”再试。",
      "No station nearby matches. Choose fewer amenities, or turn off “Open now”."],
    offline: ["离线 · 显示 {time} 获取的结果", "offline · results from {time}"],
    earlier: ["显示 {time} 获取的结果", "results from {time}"],
    network_failed: ["网络不通，查不到附近的驿站。有网后再试。",
      "No network: could not look up stations. Try again when you are online."],
    search_failed: ["查询失败：{detail}", "The search failed: {detail}"],
    distance_m: ["{n} 米", "{n} m"],
    distance_km: ["{n} 公里", "{n} km"],
    ride_estimate: ["约 {n} 分钟 · 按电动车 15 km/h 估算", "≈ {n} min · estimate at 15 km/h"],
    ride: ["骑行约 {n} 分钟", "{n} min by e-bike"],
    osm_credit: ["数据来自 OpenStreetMap · © OpenStreetMap 贡献者",
      "Data from OpenStreetMap · © OpenStreetMap contributors"],
    ride_server_estimate: ["约 {n} 分钟 · 估算", "≈ {n} min · estimate"],
    ride_note_routed: [
      "骑行时间按路网计算（电动车 {speed} km/h），“营业中”指到达时仍营业。道路数据 © OpenStreetMap 贡献者。",
      "Ride times follow the roads at {speed} km/h by e-bike; open means open when you arrive. " +
        "Road data © OpenStreetMap contributors."
    ],
    ride_note_server: [
      "骑行时间为估算：直线距离 × 1.3（绕路）÷ 电动车 {speed} km/h。",
      "Ride times are estimates: straight-line distance × 1.3 (for the detour) at {speed} km/h by e-bike."
    ],
    ride_note: [
      "骑行时间为估算：直线距离 × 1.3（绕路）÷ 电动车 15 km/h。",
      "Ride times are estimates: straight-line distance × 1.3 (for the detour) at 15 km/h by e-bike."
    ],
    direction_n: ["北方向", "to the north"],
    direction_ne: ["东北方向", "to the north-east"],
    direction_e: ["东方向", "to the east"],
    direction_se: ["东南方向", "to the south-east"],
    direction_s: ["南方向", "to the south"],
    direction_sw: ["西南方向", "to the south-west"],
    direction_w: ["西方向", "to the west"],
    direction_nw: ["西北方向", "to the north-west"],
    open_until: ["营业至 {time}", "open until {time}"],
    open: ["营业中", "open"],
    opens_at: ["{time} 开门", "opens {time}"],
    closed: ["已关门", "closed"],
    unknown: ["状态未知", "status unknown"],
    reported_closed: ["骑手报告已关闭", "riders report it closed"],
    closed_until: ["暂停开放至 {time}", "closed until {time}"],
    closed_until_reason: ["暂停开放至 {time}：{reason}", "closed until {time}: {reason}"],
    tomorrow_at: ["明天 {time}", "tomorrow {time}"],
    date_at: ["{date} {time}", "{date} {time}"],
    hours: ["开放时间：{hours}", "Hours: {hours}"],
    hours_none: ["开放时间：未登记", "Hours: not recorded"],
    amenities_label: ["设施", "Amenities"],
    no_amenities: ["未登记设施", "no amenities recorded"],
    out_of_order: ["故障", "out of order"],
    access_public: ["对所有人开放", "open to everyone"],
    access_outdoor_workers: ["户外劳动者", "for outdoor workers"],
    access_union_members: ["工会会员", "for union members"],
    entry_walk_in: ["直接进入", "walk in"],
    entry_ask_staff: ["请工作人员开门", "ask the staff to open"],
    entry_phone_ahead: ["提前电话联系", "phone ahead"],
    entry_qr_code: ["扫码进入", "scan the QR code"],
    entry_face_scan: ["刷脸进入", "face scan"],
    entry_id_card: ["刷身份证/工会卡", "ID or union card"],
    verified: ["已核实 {date}", "verified {date}"],
    reports_closed: ["{n} 位骑手报告已关闭", "{n} riders report it closed"],
    reports_closed_one: ["{n} 位骑手报告已关闭", "{n} rider reports it closed"],
    reports_confirmed_ok: ["{n} 位骑手确认一切正常", "{n} riders found it fine"],
    reports_confirmed_ok_one: ["{n} 位骑手确认一切正常", "{n} rider found it fine"],
    reports_hours_wrong: ["{n} 位骑手报告时间不对", "{n} riders report wrong hours"],
    reports_hours_wrong_one: ["{n} 位骑手报告时间不对", "{n} rider reports wrong hours"],
    reports_amenity_missing: ["{n} 位骑手报告设施没有", "{n} riders report a missing amenity"],
    reports_amenity_missing_one: ["{n} 位骑手报告设施没有", "{n} rider reports a missing amenity"],
    reports_amenity_broken: ["{n} 位骑手报告设施坏了", "{n} riders report a broken amenity"],
    reports_amenity_broken_one: ["{n} 位骑手报告设施坏了", "{n} rider reports a broken amenity"],
    reports_other: ["{n} 条其他反馈", "{n} other reports"],
    reports_other_one: ["{n} 条其他反馈", "{n} other report"],
    phone: ["电话", "Call"],
    phone_label: ["电话 {phone}（{name}）", "Call {name}: {phone}"],
    nav_amap: ["高德导航", "Amap"],
    nav_amap_label: ["高德导航到 {name}", "Amap: ride to {name}"],
    nav_baidu: ["百度导航", "Baidu"],
    nav_baidu_label: ["百度导航到 {name}", "Baidu: ride to {name}"],
    report: ["报告问题", "Report a problem"],
    report_label: ["报告问题：{name}", "Report a problem: {name}"],
    map_heading: ["地图", "Map"],
    map_label: ["地图：你和附近的驿站。点地图可设为你的位置。",
      "Map of you and the stations nearby. Tap it to set your position."],
    map_hint: ["点地图可把那里设为你的位置。", "Tap the map to set your position there."],
    use_centre: ["用地图中心作为我的位置", "Use the map centre as my position"],
    tiles_label: ["底图", "Base map"],
    tiles_osm: ["OpenStreetMap", "OpenStreetMap"],
    tiles_amap: ["高德地图", "Amap"],
    zoom_in: ["放大", "Zoom in"],
    zoom_out: ["缩小", "Zoom out"],
    you_are_here: ["你的位置", "You are here"],
    marker_title: ["{n}. {name}", "{n}. {name}"],
    report_title: ["报告问题：{name}", "Report a problem: {name}"],
    report_what: ["发现了什么问题？", "What did you find?"],
    category_confirmed_ok: ["一切正常", "All as listed"],
    category_closed_now: ["现在关着", "Closed now"],
    category_gone: ["已撤销（不在了）", "Gone for good"],
    category_hours_wrong: ["时间不对", "Wrong opening hours"],
    category_amenity_missing: ["某项设施没有", "An amenity is missing"],
    category_amenity_broken: ["某项设施坏了", "An amenity is broken"],
    category_other: ["其他问题", "Something else"],
    report_amenity: ["哪项设施", "Which amenity"],
    report_note: ["补充说明（可不填）", "Note (optional)"],
    report_note_required: ["说明（必填）", "Note (required)"],
    report_send: ["提交", "Send"],
    report_close: ["关闭", "Close"],
    report_sending: ["正在提交…", "Sending…"],
    report_choose: ["请先选一项。", "Choose one first."],
    report_need_note: ["选了“其他问题”，请写一句说明。", "With “Something else”, please write a note."],
    report_thanks: ["谢谢！已收到你的报告。", "Thank you! Your report is in."],
    report_duplicate: ["谢谢！你 24 小时内报告过同样的情况，这次不重复计算。",
      "Thank you! You reported the same within 24 hours, so it counts once."],
    report_limited: ["提交太频繁了，请 {wait}后再试。（{detail}）",
      "Too many reports: try again in {wait}. ({detail})"],
    report_failed: ["提交失败：{detail}", "Could not send: {detail}"],
    report_offline: ["网络不通，没有提交。有网后再试。", "No network: nothing was sent. Try again when online."],
    wait_minutes: ["{n} 分钟", "{n} min"],
    wait_seconds: ["{n} 秒", "{n} s"]
  };

  // stations/amenities.py VOCABULARY: code, zh, en (order and labels kept equal by a test).
  R.AMENITIES = [
    ["water", "饮水", "drinking water (hot/cold)"],
    ["microwave", "微波炉", "meal heating"],
    ["fridge", "冰箱", "fridge"],
    ["phone_charging", "手机充电", "phone charging"],
    ["ebike_charging", "电动车充电", "e-bike charging"],
    ["battery_swap", "换电柜", "battery swap cabinet"],
    ["seating", "座椅休息", "seating"],
    ["air_conditioning", "空调", "air conditioning"],
    ["heating", "取暖", "heating"],
    ["first_aid", "应急药箱", "first-aid kit"],
    ["aed", "AED", "AED defibrillator"],
    ["repair_tools", "维修工具", "repair tools"],
    ["tyre_pump", "打气筒", "tyre pump"],
    ["umbrella", "雨具", "umbrellas and rain gear"],
    ["toilet", "卫生间", "toilet"],
    ["wifi", "无线网络", "Wi-Fi"],
    ["books", "图书", "books"],
    ["lockers", "储物柜", "lockers"],
    ["womens_room", "女性休息室", "women's rest room"],
    ["nursing_room", "母婴室", "nursing room"],
    ["meals", "爱心餐", "free or low-cost meals"],
    ["accessible", "无障碍", "wheelchair accessible"]
  ];

  // The amenity chips, in the order a rider looks for them.
  R.CHIPS = ["microwave", "water", "phone_charging", "ebike_charging", "toilet", "heating",
    "air_conditioning", "first_aid"];

  // stations/model.py Category, in the report dialog's order.
  R.CATEGORIES = ["confirmed_ok", "closed_now", "gone", "hours_wrong", "amenity_missing",
    "amenity_broken", "other"];
  R.AMENITY_CATEGORIES = ["amenity_missing", "amenity_broken"];

  // api/maps/texts.py TILE_SOURCES (kept equal by a test); attribution is our own HTML.
  R.TILES = {
    osm: {
      url: "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
      subdomains: "",
      attribution: "&copy; <a href=\"https://www.openstreetmap.org/copyright\">OpenStreetMap</a> contributors",
      maxZoom: 19,
      crs: "wgs84"
    },
    amap: {
      url: "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
      subdomains: "1234",
      attribution: "&copy; <a href=\"https://www.amap.com/\">高德地图</a> AutoNavi",
      maxZoom: 18,
      crs: "gcj02"
    }
  };
}());
