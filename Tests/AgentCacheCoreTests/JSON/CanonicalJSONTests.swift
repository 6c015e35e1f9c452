import Testing
import AgentCacheCore

private func canonical(_ text: String) throws(JSONParseError) -> String {
    String(decoding: CanonicalJSON.encode(try JSONParser.parse(Array(text.utf8))), as: UTF8.self)
}

private func numberText(_ value: Double) -> String {
    var out: [UInt8] = []
    CanonicalJSON.writeNumber(value, into: &out)
    return String(decoding: out, as: UTF8.self)
}

private func stringText(_ value: String) -> String {
    var out: [UInt8] = []
    CanonicalJSON.writeString(value, into: &out)
    return String(decoding: out, as: UTF8.self)
}

/// RFC 8785 Appendix B: IEEE-754 bit patterns and their canonical text (the finite rows; the
/// NaN and Infinity rows are errors, which the parser already makes impossible).
private let appendixB: [(bits: UInt64, text: String)] = [
    (0x0000_0000_0000_0000, "0"),
    (0x8000_0000_0000_0000, "0"),
    (0x0000_0000_0000_0001, "5e-324"),
    (0x8000_0000_0000_0001, "-5e-324"),
    (0x7FEF_FFFF_FFFF_FFFF, "1.7976931348623157e+308"),
    (0xFFEF_FFFF_FFFF_FFFF, "-1.7976931348623157e+308"),
    (0x4340_0000_0000_0000, "9007199254740992"),
    (0xC340_0000_0000_0000, "-9007199254740992"),
    (0x4430_0000_0000_0000, "295147905179352830000"),
    (0x44B5_2D02_C7E1_4AF5, "9.999999999999997e+22"),
    (0x44B5_2D02_C7E1_4AF6, "1e+23"),
    // The RFC prints this row as 1.0000000000000001e+23 (the double just above 1e23 is
    // 100000000000000008388608, and 1.0000000000000001e+23 is the shortest text rounding to it).
    (0x44B5_2D02_C7E1_4AF7, "1.0000000000000001e+23"),
    (0x444B_1AE4_D6E2_EF4E, "999999999999999700000"),
    (0x444B_1AE4_D6E2_EF4F, "999999999999999900000"),
    (0x444B_1AE4_D6E2_EF50, "1e+21"),
    (0x3EB0_C6F7_A0B5_ED8C, "9.999999999999997e-7"),
    (0x3EB0_C6F7_A0B5_ED8D, "0.000001"),
    (0x41B3_DE43_5555_5553, "333333333.3333332"),
    (0x41B3_DE43_5555_5554, "333333333.33333325"),
    (0x41B3_DE43_5555_5555, "333333333.3333333"),
    (0x41B3_DE43_5555_5556, "333333333.3333334"),
    (0x41B3_DE43_5555_5557, "333333333.33333343"),
    (0xBECB_F647_612F_3696, "-0.0000033333333333333333"),
    (0x4314_3FF3_C1CB_0959, "1424953923781206.2"),
]

/// `String(x)` from Node.js (V8) for deterministic pseudo-random doubles: raw bit patterns,
/// decimal-looking values around every layout boundary, subnormals and powers of two.
private let ecmaScriptReference: [(bits: UInt64, text: String)] = [
        (0x0d83b3e29a21487a, "1.4427754422401724e-243"),
        (0x54c44c79f1fe9d67, "2.2199212226988893e+100"),
        (0xa845f342007a0e78, "-1.1141679308961279e-114"),
        (0x7d6e0b878a794779, "1.5351064531638965e+296"),
        (0x90d8d6e5a10dd485, "-1.638344060600543e-227"),
        (0x9de6cf0f6d5a586e, "-1.2377569472211426e-164"),
        (0xd566404840a2ab9d, "-2.4918394899649603e+103"),
        (0x674bfece098c4828, "3.897919830026583e+189"),
        (0x87d6e3d2afc200ac, "-6.769996488298759e-271"),
        (0xd2f57ac518cbb99d, "-4.375465676347136e+91"),
        (0x002a74b4aeb82db2, "7.358286429165253e-308"),
        (0xbc858f30d87296d1, "-3.739949161675147e-17"),
        (0x26d141d7b47a58a8, "1.0442200637596018e-121"),
        (0xec0202237faa74fd, "-1.89452780564266e+212"),
        (0x13404cd3e565dfa1, "5.9104916336796e-216"),
        (0x54b07c175848b28d, "9.014060074073613e+99"),
        (0x25072963263f0842, "2.6104882325689648e-130"),
        (0x02ecc50074cccf5f, "1.4076903861379024e-294"),
        (0xdacd1f060d908a3d, "-2.5232321933596744e+129"),
        (0x3c9ae8905bd77ae6, "9.335744933994957e-17"),
        (0x9f7bc7db18d2566c, "-5.0585407392329175e-157"),
        (0xac76aeb5a047dbc6, "-1.6990709035471285e-94"),
        (0xb71eb0ae33b29f39, "-3.440485714435293e-43"),
        (0x3df20c533dcc306c, "2.6263507844002757e-10"),
        (0xabcdbaa682de9209, "-1.0873596857482799e-97"),
        (0x6786d31b243ac0a4, "5.084767197776064e+190"),
        (0x849d9d80831e02d9, "-1.9449096231843793e-286"),
        (0xe2c9ab92ef636718, "-7.568625859645095e+167"),
        (0x0296f3277cfd51ac, "3.509163337917277e-296"),
        (0x0be60e507909c1fd, "2.406682039091876e-251"),
        (0x7956b9155ffd2adb, "3.146888599610029e+276"),
        (0x88a5489881b0e754, "-5.156778470917841e-267"),
        (0xc99e7d7a6b1d3ccd, "-4.351699510562294e+46"),
        (0x0db292f12f361b02, "1.0880999080775699e-242"),
        (0xe7e8d30a316965cf, "-3.5393666730024944e+192"),
        (0x88048db0941040fb, "-4.86316685362126e-270"),
        (0x1d1bbc9e745ed9c7, "1.837378708547052e-168"),
        (0x22717eef126d3a5a, "8.967197795417662e-143"),
        (0x834bc6881be7bfc5, "-8.697938603198972e-293"),
        (0x1301453fc472f3f7, "3.913975954059015e-217"),
        (0x24a212adf6cfeee2, "3.1827415027932726e-132"),
        (0xeef2fc479582dad0, "-2.8109818889284195e+226"),
        (0x7bb62743d4a82368, "8.433266893383041e+287"),
        (0xe7b4ef83dc7c569a, "-3.7311507119552926e+191"),
        (0x1c97d6c17a1ce09b, "6.168626797590755e-171"),
        (0xaeb34774571e0746, "-9.924037513175321e-84"),
        (0x8daca89158b251f3, "-8.394338450683387e-243"),
        (0xfaff30d01d4b1980, "-2.89881637284993e+284"),
        (0xec4798f19082ab12, "-3.9720230461312206e+213"),
        (0xe5215db40ab9ce72, "-1.4074337013955528e+179"),
        (0xc3e9ce5aedcece77, "-14876189388591840000"),
        (0x49d1dcfb32d131ed, "4.079235580945484e+47"),
        (0x918e9e3e333146e3, "-4.13591871924053e-224"),
        (0x50d51696787f55b4, "2.5004550301232017e+81"),
        (0xaa58a03be88d5002, "-1.0737270106920687e-104"),
        (0xda37a1fd3c69febc, "-3.999381473822603e+126"),
        (0x22fb986fba1247f5, "3.6207587224201364e-140"),
        (0x2cd822cec6864769, "1.1570871195067811e-92"),
        (0x2f8b786e4ea0081e, "1.1583949755500868e-79"),
        (0x993065d78ea4114d, "-2.3554225627402163e-187"),
        (0x2b4bbec88b15fc32, "3.964058514417887e-100"),
        (0xf5e013034672ad9e, "-6.17870555989076e+259"),
        (0x9c29a128fd9ef57c, "-5.181233598032867e-173"),
        (0x1636f8e20698e92d, "1.1723181296022678e-201"),
        (0xf45a4999063c350f, "-3.011379740813789e+252"),
        (0x16513f36f7cb2f45, "3.520584468044824e-201"),
        (0x20ce772c97ad0958, "1.1633779705291942e-150"),
        (0x8e8c2e8e1c50c30a, "-1.352455665809795e-238"),
        (0x8f90bc11de2c3b28, "-1.0526401862162723e-233"),
        (0x1d9cd265caf9aaae, "4.887699450767311e-166"),
        (0x85e846dd95161004, "-3.3435345735168984e-280"),
        (0xcba1c108a6de41c7, "-2.176638758053522e+56"),
        (0x1a5c7d55f70f690c, "1.0727755633490885e-181"),
        (0xdf299a6336a13a58, "-2.619027179482821e+150"),
        (0xb51970ad741828d5, "-6.640188114582706e-53"),
        (0x2150ff5e05151306, "3.323287522235822e-148"),
        (0x8e9e171e8959989e, "-2.8880858615536703e-238"),
        (0xc1560fa6a2c6a718, "-5783194.543374799"),
        (0x401f06c6c16c1346, "7.756617567273514"),
        (0x22cb9be13e9f2b4b, "4.5281544928189104e-141"),
        (0xdb6e9abf1bd51537, "-2.7153955290989627e+132"),
        (0x59ce4401bed86164, "4.0014579324032256e+124"),
        (0x23a0bd555b58c420, "4.498177973339891e-137"),
        (0xfd6402dde56b1fd6, "-1.0224424023688048e+296"),
        (0xf03b990bf89bd645, "-4.284614422380644e+232"),
        (0x607e3cd84c201de6, "6.486735111873042e+156"),
        (0x4ef15de9ff656da2, "1.917785692213565e+72"),
        (0xd527a619652f472f, "-1.6552291079447678e+102"),
        (0x22ff9cd34b252992, "4.1478422672088957e-140"),
        (0x0f7a4199ab0018f9, "4.128916481009046e-234"),
        (0x789c99b9b7104bfc, "9.670068783724523e+272"),
        (0x047e5413ef331597, "4.9793661468752357e-287"),
        (0x31e064e2ba08761b, "1.9002824793624192e-68"),
        (0xf2a4cdf6b08ccfac, "-1.7756801181717152e+244"),
        (0xf9bb2c6aa3b74b51, "-2.4084721338093905e+278"),
        (0x6e649be9309a7aad, "5.959698408205065e+223"),
        (0x788ba774a28d717d, "4.675047099658145e+272"),
        (0x3b786508b3474f50, "3.2286068985007987e-22"),
        (0x7a92aca2442cc9af, "2.711823796198327e+282"),
        (0x0f3d9de53f6ef4b2, "2.9108593979880105e-235"),
        (0x2983ceb87bd3bfa0, "1.0542443770843815e-108"),
        (0x81c12d1d5e35716d, "-3.2059899948478435e-300"),
        (0xa9490f9724be51ef, "-8.336586392798153e-110"),
        (0x090c066ce32f7b0f, "4.3457124274385074e-265"),
        (0x6736980b063d46fc, "1.5729280119576982e+189"),
        (0x22b6f7ba6874f40e, "1.8834726953872893e-141"),
        (0x13aefbb6611d895e, "7.190185349812358e-214"),
        (0x8f253558e6843a7a, "-1.0422239742025086e-235"),
        (0x51ebb86d8d0c734d, "4.308128060092485e+86"),
        (0x90180edcff467a55, "-3.8740385327064744e-231"),
        (0x04427a2d1faf915e, "3.792027842820625e-288"),
        (0xd4867309eefba770, "-1.5344500472254965e+99"),
        (0x1aea2e225b7214bc, "5.0473769894007e-179"),
        (0x2e50398765648c31, "1.3049639383134882e-85"),
        (0x76431f96f583c75b, "4.704476408030138e+261"),
        (0x280033594d19939e, "5.13951665842515e-116"),
        (0x58190ce2c2414047, "2.4675836436146527e+116"),
        (0x1327051beb2689c5, "2.0867846770694275e-216"),
        (0xb3144734100136cd, "-1.2323355818594613e-62"),
        (0x4f7a4d14869444ce, "7.435201843954484e+74"),
        (0x0000000000000000, "0"),
        (0x8000000000000000, "0"),
        (0x8000000000000003, "-1.5e-323"),
        (0x800000000002020f, "-6.50185e-319"),
        (0x0000000000000001, "5e-324"),
        (0x80000000000004dc, "-6.146e-321"),
        (0x8000000000000008, "-4e-323"),
        (0x0000000000000002, "1e-323"),
        (0x800000000126bd1c, "-9.54337e-317"),
        (0x8000000195a76f67, "-3.3624850513e-314"),
        (0x0000a6194a6ea812, "9.023e-310"),
        (0x806446965602043e, "-9.023e-307"),
        (0x000013381dccd4b1, "1.044046630612e-310"),
        (0x82117ad1dead17ce, "-1.044046630612e-298"),
        (0x00004dc978ee6a67, "4.2256304590699e-310"),
        (0x82661bbfcf7a302e, "-4.2256304590699e-297"),
        (0x00007bc8c7f58ac3, "6.72434600947e-310"),
        (0x82068427dc0d4de2, "-6.72434600947e-299"),
        (0x01b391996dd5691b, "1.82628e-300"),
        (0x82bddc0abd37c381, "-1.82628e-295"),
        (0x01d9242f00b2cb9f, "9.3854e-300"),
        (0x82aeb0ab605a418f, "-9.3854e-296"),
        (0x01b56e1fc2f8f359, "2e-300"),
        (0x81b56e1fc2f8f359, "-2e-300"),
        (0x01d9651ddef1e767, "9.480087e-300"),
        (0x834e45ef5cde6538, "-9.480087e-293"),
        (0x39e32ab874bd8370, "7.56e-30"),
        (0xba4df2c036681d60, "-7.56e-28"),
        (0x39be6c71fe61a3ef, "1.5e-30"),
        (0xb9f303c73efd0676, "-1.5e-29"),
        (0x39d6b00030d26d0a, "4.4743210207e-30"),
        (0xbbea69671b361531, "-4.4743210207e-20"),
        (0x39db365a3027b767, "5.366682597e-30"),
        (0xbbefade6c5326dca, "-5.366682597e-20"),
        (0x3b8e06727384c91e, "7.9476e-22"),
        (0xbc62536f5b01cbc1, "-7.9476e-18"),
        (0x3b9164708075d0fd, "9.207429e-22"),
        (0xbcd0962d5a425bc2, "-9.207429e-16"),
        (0x3b88ef20da1347e4, "6.6e-22"),
        (0xbbbf2ae9109819dd, "-6.6e-21"),
        (0x3b920edafe6eb7c3, "9.5598409965e-22"),
        (0xbda505b6487ede97, "-9.5598409965e-12"),
        (0x3e715dd887e83b88, "6.469557154601588e-8"),
        (0xc1c347e161bae67c, "-646955715.4601588"),
        (0x3e5be294494a8f2c, "2.597e-8"),
        (0xbefb3b44cf92cfd1, "-0.00002597"),
        (0x3e6d1eb05793c032, "5.424e-8"),
        (0xbf0c6ff8358649b1, "-0.00005424"),
        (0x3e6c5af3594f5e18, "5.281581675454e-8"),
        (0xc0e9c9fa22da6ac5, "-52815.81675454"),
        (0x3ea488abfb4defb7, "6.1195713972573e-7"),
        (0xc1575824d96ca9e2, "-6119571.3972573"),
        (0x3e9e868954063cf3, "4.548658872e-7"),
        (0xc07c6ddaac896066, "-454.8658872"),
        (0x3ea5dba3b1b2b943, "6.514181650952e-7"),
        (0xc123e13454875ba9, "-651418.1650952"),
        (0x3eacb7cb89a79f02, "8.5586158898602e-7"),
        (0xc1605302fc79bc19, "-8558615.8898602"),
        (0x3ec7ce1c926debfd, "0.000002837791857"),
        (0xc0a62b956e47dc38, "-2837.791857"),
        (0x3ec90af7583d250f, "0.000002985338769"),
        (0xc0a752ad73215fcc, "-2985.338769"),
        (0x3ee033a77ebdcd55, "0.00000772560812099"),
        (0xc12793a19fcb70ac, "-772560.812099"),
        (0x3edd776f027ee142, "0.000007025370031437101"),
        (0xc1fa2bea3af6fe5e, "-7025370031.437101"),
        (0x3f126189312ef0c4, "0.0000701179490496"),
        (0xc15abf74b9eadd59, "-7011794.90496"),
        (0x3f0fb5dc00e5d6a9, "0.00006048276565"),
        (0xc0ed885880346dc6, "-60482.76565"),
        (0x3f18c5c9a34ca0c3, "0.0000945"),
        (0xbfee3d70a3d70a3d, "-0.945"),
        (0x3ef016b217a56487, "0.0000153433370341"),
        (0xc137697db412ad82, "-1534333.70341"),
        (0x3f947ae147ae147b, "0.02"),
        (0xbfc999999999999a, "-0.2"),
        (0x3fb2ce2be526aeed, "0.0734584269"),
        (0xc15c05acac28f5c3, "-7345842.69"),
        (0x3fa21273177f1414, "0.035297009103978066"),
        (0xc2f410640e48c24a, "-352970091039780.6"),
        (0x3f9eb851eb851eb8, "0.03"),
        (0xbf9eb851eb851eb8, "-0.03"),
        (0x3fef2b28bd8e6b68, "0.97401845"),
        (0xc16293f310000000, "-9740184.5"),
        (0x3fe45b1858811367, "0.63612000738122"),
        (0xc2972454487150cd, "-6361200073812.2"),
        (0x3fe343cb96ecc109, "0.60202579"),
        (0xc156f7287999999a, "-6020257.9"),
        (0x3fcb998f575446ab, "0.21562377704736"),
        (0xc27f609c94ee999a, "-2156237770473.6"),
        (0x3ff845a1cac08312, "1.517"),
        (0xc097b40000000000, "-1517"),
        (0x4020cf10bdbd6551, "8.4044246"),
        (0xc1c90c112e000000, "-840442460"),
        (0x4021000000000000, "8.5"),
        (0xc055400000000000, "-85"),
        (0x4015183049906bf7, "5.273621701659969"),
        (0xc332bc54bc350d41, "-5273621701659969"),
        (0x4044ffd53e934da2, "41.99869520371"),
        (0xc2c3194aa781bf00, "-41998695203710"),
        (0x404eca3d70a3d70a, "61.58"),
        (0xc0ee118000000000, "-61580"),
        (0x40573d4ab15d6548, "92.95768388863246"),
        (0xc3a9cd0a6b727ff3, "-929576838886324600"),
        (0x40541ef320d0c65c, "80.4835893668"),
        (0xc29d479e4d41a000, "-8048358936680"),
        (0x412a6b07d3b645a2, "865667.9135"),
        (0xc33ec1342cc6b5c0, "-8656679135000000"),
        (0x41222a59c38612a9, "595244.88188227"),
        (0xc3d4a6d62a7367b7, "-5952448818822700000"),
        (0x410b09e000000000, "221500"),
        (0xc1aa67a4c0000000, "-221500000"),
        (0x4126b9e200000000, "744689"),
        (0xc23156b13ca00000, "-74468900000"),
        (0x4332dfae0e6b2c00, "5312488240000000"),
        (0xc4dc1fc39cf7c653, "-5.31248824e+23"),
        (0x433f7f488a23b880, "8865673810000000"),
        (0xc4e7779d3fb5066f, "-8.86567381e+23"),
        (0x4338838370f34000, "6900000000000000"),
        (0xc36ea4644d301000, "-69000000000000000"),
        (0x4310b13536b75f48, "1174610434185170"),
        (0xc5f7b897f72d6a8e, "-1.17461043418517e+29"),
        (0x436aa535d3d0c000, "60000000000000000"),
        (0xc36aa535d3d0c000, "-60000000000000000"),
        (0x4356c818ccbc57a0, "25649833309200000"),
        (0xc5a09368b1fa2d83, "-2.56498333092e+27"),
        (0x43612c451faedc00, "38670000000000000"),
        (0xc400c53b80f0c2d8, "-38670000000000000000"),
        (0x4374d778fb710ab0, "93862626380000000"),
        (0xc553690bcaff1779, "-9.386262638e+25"),
        (0x43a89878fe3aa03c, "886149743335448000"),
        (0xc69179e9b3009b4c, "-8.86149743335448e+31"),
        (0x4397b9a0273fe5b0, "427393406000000000"),
        (0xc541ad3425f2444d, "-4.27393406e+25"),
        (0x439b39dc8a799580, "490460400000000000"),
        (0xc4d9f6fa56ff5b97, "-4.904604e+23"),
        (0x43a9db6f3997e4b8, "931602582000000000"),
        (0xc55343dceddaee80, "-9.31602582e+25"),
        (0x443549a8a775114d, "392689301830000000000"),
        (0xc648c83ce2daf9ba, "-3.9268930183e+30"),
        (0x442dc18e35a12fec, "274451361100000000000"),
        (0xc60bb666c28a7d4e, "-2.744513611e+29"),
        (0x44179e03c65640db, "108915319013000000000"),
        (0xc6612f0e00f3c76b, "-1.08915319013e+31"),
        (0x4444dc96ce155193, "769660000000000000000"),
        (0xc519774616910614, "-7.6966e+24"),
        (0x4468160b7544937b, "3.5544828e+21"),
        (0xc5dcb67f86ba50c3, "-3.5544828e+28"),
        (0x447bf4eed4dfc9ed, "8.2513818886e+21"),
        (0xc69045e21d003754, "-8.2513818886e+31"),
        (0x4471971e4e073b9a, "5.191742015921e+21"),
        (0xc6efff1fe69e4c61, "-5.191742015921e+33"),
        (0x447d2366730cb86e, "8.600102894e+21"),
        (0xc65b231b984febc2, "-8.600102894e+30"),
        (0x4497b7883c069166, "2.8e+22"),
        (0xc4cda56a4b0835c0, "-2.8e+23"),
        (0x44aaee800a99c249, "6.359054e+22"),
        (0xc5e9af1b941c0acd, "-6.359054e+28"),
        (0x44ac831431383e19, "6.732212e+22"),
        (0xc6553e3ccfbe698b, "-6.732212e+30"),
        (0x44965d600691a469, "2.64036323e+22"),
        (0xc640a9bca310ebcd, "-2.64036323e+30"),
        (0x44e55a696d960714, "8.067e+23"),
        (0xc584da4af50482ea, "-8.067e+26"),
        (0x44d969368974c05b, "4.8e+23"),
        (0xc50fc3842bd1f072, "-4.8e+24"),
        (0x44e48061e71ece33, "7.7452454032032e+23"),
        (0xc7974eb853320c94, "-7.7452454032032e+36"),
        (0x44cf93758324d14a, "2.98227e+23"),
        (0xc5d81730979e06ed, "-2.98227e+28"),
        (0x465817d768ea522a, "7.6354178802721e+30"),
        (0xc90b64061dec34bd, "-7.6354178802721e+43"),
        (0x462b446bace04843, "1.08016777e+30"),
        (0xc7d450d191eedff3, "-1.08016777e+38"),
        (0x463182f078c89474, "1.3874025266e+30"),
        (0xc84462d409132ae7, "-1.3874025266e+40"),
        (0x465956f645fefef1, "8.03047e+30"),
        (0xc7982a72f558e2d9, "-8.03047e+36"),
        (0x7e58258d999d2fe1, "4.0427169064e+300"),
        (0x7e52f0a57d7abb71, "3.171e+300"),
        (0xfef27f019c89db0c, "-3.171e+303"),
        (0x7e610ec222d92f7e, "5.7116933e+300"),
        (0xffd45594e3a4e1c3, "-5.7116933e+307"),
        (0x7e46956758b61fda, "1.8905102e+300"),
        (0xffbaebf863db93f6, "-1.8905102e+307"),
        (0x000b3e61451a01b4, "1.563625001295875e-308"),
        (0x000c60ab74e606bd, "1.7213193926968035e-308"),
        (0x00042e04601c6ec1, "5.812663717134155e-309"),
        (0x00040eb099768800, "5.642484408628103e-309"),
        (0x000879e720095dbe, "1.178758317454996e-308"),
        (0x0000e9388bb59772, "1.266927947609623e-309"),
        (0x000ba67b50896528, "1.6201762839112637e-308"),
        (0x000e5acba311f984, "1.996262526059718e-308"),
        (0x00022c015ca3e86e, "3.020392827980503e-309"),
        (0x000b2efc819791b1, "1.555262717292042e-308"),
        (0x0001d9319b18d9d0, "2.570534897369464e-309"),
        (0x0008fa38d3f239fb, "1.248465248471463e-308"),
        (0x000bf33ee706094a, "1.6618768705921974e-308"),
        (0x000d060d83cb6877, "1.8111605739685073e-308"),
        (0x000df0c0150fafe4, "1.938655529203773e-308"),
        (0x0006a2e5a19dbfc8, "9.22893383063432e-309"),
        (0x000083cbaa733a32, "7.1595428860163e-310"),
        (0x00023d1c60e89a6e, "3.11331537747163e-309"),
        (0x000a7bab4fc21968, "1.457852087432565e-308"),
        (0x000d26fde78c75e9, "1.8290540693443504e-308"),
        (0x02e0000000000000, "7.82878265628505e-295"),
        (0x08f0000000000000, "1.240520129162012e-265"),
        (0x0f00000000000000, "1.9656826079092814e-236"),
        (0x1510000000000000, "3.11474842221799e-207"),
        (0x1b20000000000000, "4.935515883730707e-178"),
        (0x2130000000000000, "7.820637090558988e-149"),
        (0x2740000000000000, "1.2392294127517818e-119"),
        (0x2d50000000000000, "1.9636373861190906e-90"),
        (0x3360000000000000, "3.111507638930571e-61"),
        (0x3970000000000000, "4.930380657631324e-32"),
        (0x3f80000000000000, "0.0078125"),
        (0x4590000000000000, "1.2379400392853803e+27"),
        (0x4ba0000000000000, "1.9615942923083377e+56"),
        (0x51b0000000000000, "3.1082702275611665e+85"),
        (0x57c0000000000000, "4.92525077454931e+114"),
        (0x5dd0000000000000, "7.804371375789981e+143"),
        (0x63e0000000000000, "1.2366520073655227e+173"),
        (0x69f0000000000000, "1.959553324262937e+202"),
        (0x7000000000000000, "3.105036184601418e+231"),
        (0x7610000000000000, "4.9201262289254483e+260"),
        (0x7c20000000000000, "7.79625120912e+289"),
]

@Suite("CanonicalJSON")
struct CanonicalJSONTests {
    /// The example's first number, 333333333.33333329, is one a Double rounds (to
    /// 333333333.3333333, the text the RFC prints). SPEC §2 keeps such numbers exact so that two
    /// different numbers never share a key, so the input here spells that Double's own value;
    /// `rfcExampleKeepsInexactNumberExact` shows what the original spelling gives.
    @Test("RFC 8785 §3.2.2 example canonicalises to the exact published bytes")
    func rfcSerializationExample() throws {
        let input = #"""
        {
          "numbers": [333333333.3333333, 1E30, 4.50,
                      2e-3, 0.000000000000000000000000001],
          "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
          "literals": [null, true, false]
        }
        """#
        let expected = #"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
        #expect(try canonical(input) == expected)
        // §3.2.4 lists the same output as hex bytes.
        let hex = """
        7b 22 6c 69 74 65 72 61 6c 73 22 3a 5b 6e 75 6c 6c 2c 74 72
        75 65 2c 66 61 6c 73 65 5d 2c 22 6e 75 6d 62 65 72 73 22 3a
        5b 33 33 33 33 33 33 33 33 33 2e 33 33 33 33 33 33 33 2c 31
        65 2b 33 30 2c 34 2e 35 2c 30 2e 30 30 32 2c 31 65 2d 32 37
        5d 2c 22 73 74 72 69 6e 67 22 3a 22 e2 82 ac 24 5c 75 30 30
        30 66 5c 6e 41 27 42 5c 22 5c 5c 5c 5c 5c 22 2f 22 7d
        """
        let bytes = hex.split(whereSeparator: { $0 == " " || $0 == "\n" }).map { UInt8($0, radix: 16) ?? 0 }
        #expect(try CanonicalJSON.encode(JSONParser.parse(Array(input.utf8))) == bytes)
        // The RFC's data model (numbers as Doubles), built by hand from the original literal.
        let value = JSONValue.array([.number(333333333.33333329), .number(1E30), .number(4.50), .number(2e-3), .number(0.000000000000000000000000001)])
        #expect(String(decoding: CanonicalJSON.encode(value), as: UTF8.self) == "[333333333.3333333,1e+30,4.5,0.002,1e-27]")
    }

    @Test("the RFC 8785 example's 333333333.33333329, which a Double rounds, keeps its exact value (SPEC §2)")
    func rfcExampleKeepsInexactNumberExact() throws {
        #expect(try canonical("[333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001]")
            == "[333333333.33333329,1e+30,4.5,0.002,1e-27]")
        #expect(try canonical("333333333.33333329") != canonical("333333333.3333333"))
    }

    @Test("RFC 8785 §3.2.3 sorts member names by UTF-16 code units")
    func rfcSortingExample() throws {
        let input = #"""
        {
          "\u20ac": "Euro Sign",
          "\r": "Carriage Return",
          "\ufb33": "Hebrew Letter Dalet With Dagesh",
          "1": "One",
          "\ud83d\ude00": "Emoji: Grinning Face",
          "\u0080": "Control",
          "\u00f6": "Latin Small Letter O With Diaeresis"
        }
        """#
        let expected = "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\","
            + "\"\u{F6}\":\"Latin Small Letter O With Diaeresis\",\"\u{20AC}\":\"Euro Sign\","
            + "\"\u{1F600}\":\"Emoji: Grinning Face\",\"\u{FB33}\":\"Hebrew Letter Dalet With Dagesh\"}"
        #expect(try canonical(input) == expected)
    }

    @Test("RFC 8785 Appendix B: each IEEE-754 bit pattern serialises to the published text", arguments: appendixB)
    func rfcNumberTable(row: (bits: UInt64, text: String)) {
        #expect(numberText(Double(bitPattern: row.bits)) == row.text)
    }

    @Test("number serialisation matches V8's Number.prototype.toString on reference values")
    func matchesECMAScriptReference() {
        #expect(ecmaScriptReference.count > 300)
        for row in ecmaScriptReference {
            #expect(numberText(Double(bitPattern: row.bits)) == row.text, "0x\(String(row.bits, radix: 16))")
        }
    }

    @Test("number layout switches at the ECMAScript boundaries 1e21 and 1e-6")
    func numberLayoutBoundaries() {
        #expect(numberText(1e20) == "100000000000000000000")
        #expect(numberText(1e21) == "1e+21")
        #expect(numberText(123e18) == "123000000000000000000")
        #expect(numberText(1.5e21) == "1.5e+21")
        #expect(numberText(1e-6) == "0.000001")
        #expect(numberText(1.5e-6) == "0.0000015")
        #expect(numberText(1e-7) == "1e-7")
        #expect(numberText(1.25e-7) == "1.25e-7")
        #expect(numberText(0.5) == "0.5")
        #expect(numberText(-123.456) == "-123.456")
        #expect(numberText(123456789.125) == "123456789.125")
        #expect(numberText(1e16) == "10000000000000000")
        #expect(numberText(2e-308) == "2e-308")
        #expect(numberText(-0.0) == "0")
        #expect(numberText(4503599627370497) == "4503599627370497")
        #expect(numberText(-9007199254740991) == "-9007199254740991")
    }

    @Test("every random finite double round-trips through its canonical text")
    func numbersRoundTrip() throws {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<20_000 {
            let x = Double(bitPattern: rng.next())
            guard x.isFinite else { continue }
            let text = numberText(x)
            #expect(Double(text) == x, "\(text)")
            #expect(try JSONParser.parse(Array(text.utf8)) == .number(x), "\(text)")
            #expect(!text.contains("E") && !text.hasPrefix("+") && !text.hasSuffix("."))
        }
    }

    @Test("1, 1.0, 1e0 and 10e-1 all canonicalise to 1")
    func equivalentNumberSpellings() throws {
        for spelling in ["1", "1.0", "1e0", "10e-1", "1E+0", "0.1e1", "100e-2", "1.000000000000000000000000"] {
            #expect(try canonical(spelling) == "1", "\(spelling)")
        }
        // One digit more than a Double keeps is another number, not 1.
        #expect(try canonical("1.000000000000000000000001") == "1.000000000000000000000001")
        #expect(try canonical("-0") == "0")
        #expect(try canonical("-0.0e10") == "0")
    }

    @Test("member order and whitespace do not change the canonical bytes, at any depth")
    func orderAndWhitespaceInvariance() throws {
        let a = #"{"b":[1,{"y":2,"x":[true,null]}],"a":{"d":"é","c":{}}}"#
        let b = """
        {
          "a" : { "c" : { } , "d" : "\\u00e9" } ,
          "b" : [ 1.0 , { "x" : [ true , null ] , "y" : 2e0 } ]
        }
        """
        #expect(try canonical(a) == canonical(b))
        #expect(try canonical(a) == #"{"a":{"c":{},"d":"é"},"b":[1,{"x":[true,null],"y":2}]}"#)
    }

    @Test("a \\u escape and the raw character canonicalise identically, as raw UTF-8")
    func unicodeEscapesBecomeRawUTF8() throws {
        #expect(try canonical(#""\u00e9""#) == canonical("\"é\""))
        #expect(try canonical(#""\u00e9""#) == "\"é\"")
        #expect(try canonical(#""\ud83d\ude00\u20AC""#) == "\"😀€\"")
    }

    @Test("control characters use the short escapes where defined and lowercase \\u00xx otherwise")
    func controlCharacterEscapes() {
        #expect(stringText("\u{1F}") == #""\u001f""#)
        #expect(stringText("\u{0}\u{1}\u{0B}\u{0E}\u{1A}") == #""\u0000\u0001\u000b\u000e\u001a""#)
        #expect(stringText("\u{08}\u{09}\u{0A}\u{0C}\u{0D}") == #""\b\t\n\f\r""#)
        #expect(stringText("\"\\") == #""\"\\""#)
    }

    @Test("slash, DEL and non-ASCII are written raw, never escaped")
    func noUnnecessaryEscapes() {
        #expect(stringText("a/b\u{7F}é\u{2028}\u{FEFF}😀") == "\"a/b\u{7F}é\u{2028}\u{FEFF}😀\"")
        #expect(stringText("") == "\"\"")
    }

    @Test("keys are ordered by UTF-16 code units, not code points: U+10000 sorts before U+E000")
    func utf16OrderDiffersFromCodePointOrder() throws {
        let value = JSONValue.object([
            JSONMember(key: "\u{FFFF}", value: .number(1)),
            JSONMember(key: "\u{E000}", value: .number(2)),
            JSONMember(key: "\u{10000}", value: .number(3)),
            JSONMember(key: "\u{D7FF}", value: .number(4)),
            JSONMember(key: "\u{10FFFF}", value: .number(5)),
        ])
        let keys = try JSONParser.parseObjectWithSpans(CanonicalJSON.encode(value)).map(\.key)
        #expect(keys == ["\u{D7FF}", "\u{10000}", "\u{10FFFF}", "\u{E000}", "\u{FFFF}"])
    }

    @Test("random key sets come out in UTF-16 lexicographic order")
    func randomKeysSortByUTF16() throws {
        let pool: [Unicode.Scalar] = ["a", "b", "\u{7F}", "\u{80}", "\u{7FF}", "\u{800}", "\u{D7FF}", "\u{E000}",
                                      "\u{FB33}", "\u{FFFF}", "\u{10000}", "\u{1F600}", "\u{10FFFF}"]
        var rng = SplitMix64(seed: 99)
        for _ in 0..<300 {
            var keys: [String] = []
            for _ in 0..<(1 + rng.next() % 12) {
                var key = String.UnicodeScalarView()
                for _ in 0..<(rng.next() % 4) {
                    key.append(pool[Int(rng.next() % UInt64(pool.count))])
                }
                let text = String(key)
                if !keys.contains(where: { $0.unicodeScalars.elementsEqual(text.unicodeScalars) }) {
                    keys.append(text)
                }
            }
            let value = JSONValue.object(keys.map { JSONMember(key: $0, value: .null) })
            let written = try JSONParser.parseObjectWithSpans(CanonicalJSON.encode(value)).map(\.key)
            let expected = keys.sorted { $0.utf16.lexicographicallyPrecedes($1.utf16) }
            #expect(written.count == expected.count)
            #expect(zip(written, expected).allSatisfy { $0.unicodeScalars.elementsEqual($1.unicodeScalars) })
        }
    }

    @Test("keys that are canonically equivalent in Swift stay distinct and byte-exact")
    func canonicallyEquivalentKeysStayDistinct() throws {
        let value = JSONValue.object([
            JSONMember(key: "e\u{301}", value: .number(2)),
            JSONMember(key: "\u{E9}", value: .number(1)),
        ])
        #expect(CanonicalJSON.encode(value) == Array("{\"e\u{301}\":2,\"\u{E9}\":1}".utf8))
    }

    @Test("hand-built objects with duplicate keys still serialise deterministically, ties in input order")
    func duplicateKeysDeterministic() {
        let value = JSONValue.object([
            JSONMember(key: "b", value: .number(1)),
            JSONMember(key: "a", value: .number(2)),
            JSONMember(key: "b", value: .number(3)),
        ])
        #expect(CanonicalJSON.encode(value) == Array(#"{"a":2,"b":1,"b":3}"#.utf8))
    }

    @Test("canonicalising canonical output is the identity")
    func idempotent() throws {
        let once = try canonical(#"{"z":{"b":[1e300,-5e-324,"\u0001"],"a":0.1},"y":"\/"}"#)
        #expect(try canonical(once) == once)
        #expect(once == #"{"y":"/","z":{"a":0.1,"b":[1e+300,-5e-324,"\u0001"]}}"#)
    }

    @Test("write appends to existing bytes without disturbing them")
    func writeAppends() {
        var out = Array("prefix:".utf8)
        CanonicalJSON.write(.array([.string("x"), .number(2.5)]), into: &out)
        #expect(out == Array(#"prefix:["x",2.5]"#.utf8))
    }
}
