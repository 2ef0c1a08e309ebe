/** Word lists of the synthetic city: names, ethnicities, firms, banks, industries. */

/** Common surnames, roughly by frequency (most common first, each a weight). */
export const SURNAMES: [string, number][] = [
  ...'王李张刘陈杨黄赵吴周'.split('').map((s): [string, number] => [s, 7]),
  ...'徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田'.split('').map((s): [string, number] => [s, 3]),
  ...'董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢钟谭陆汪范廖贾夏付方邹熊邱江尹段雷侯龙陶黎贺毛龚邵严覃戴莫向'.split('').map((s): [string, number] => [s, 1]),
];

export const GIVEN_MALE = '伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆建国志文林永春海龙峰亮德成兵'.split('');
export const GIVEN_FEMALE = '芳娜敏静丽艳娟霞燕玲桂英秀兰红梅琴云莉婷雪慧晶颖倩洁琳欣怡佳萍丹莹玉凤'.split('');

export const MINORITIES = ['苗族', '壮族', '侗族', '土家族', '回族'];

export const BANKS = ['中国建设银行永州分行', '中国工商银行永州分行', '中国农业银行永州分行', '永州农村商业银行', '中国邮政储蓄银行永州分行'];

export const COURTS: Record<string, string> = {
  '431102': '永州市零陵区人民法院', '431103': '永州市冷水滩区人民法院', '431122': '东安县人民法院', '431123': '双牌县人民法院',
  '431124': '道县人民法院', '431125': '江永县人民法院', '431126': '宁远县人民法院', '431127': '蓝山县人民法院',
  '431128': '新田县人民法院', '431129': '江华瑶族自治县人民法院', '431181': '祁阳市人民法院',
};

export const TRADE_NAMES = '潇湘舜德宏远兴旺恒通华瑞永盛嘉禾鑫源湘南金穗福瑶九嶷阳明萍洲'.match(/../g)!;

/** GB/T 4754-2017 classes used by the synthetic firms: code, what they do, a word for the name. */
export const INDUSTRIES: [string, string][] = [
  ['A0111', '种植'], ['A0313', '养殖'], ['C1311', '米业'], ['C1512', '酒业'], ['C3021', '建材'], ['E4710', '建筑工程'],
  ['F5121', '粮油'], ['F5211', '百货'], ['F5261', '汽车销售'], ['G5430', '物流'], ['H6110', '酒店'], ['H6210', '餐饮'],
  ['I6513', '科技'], ['K7010', '房地产'], ['M7482', '工程咨询'], ['O8010', '家政服务'], ['R8720', '文化旅游'],
];
