/**
 * City-component classification (城市部件分类, GB/T 30428.2 / CJ/T 214-2007). Category names are
 * the standard's; codes 02–06 follow its order, and subclass codes other than 0101 are the hub's
 * reading of it (unverified, see DOMAIN.md §6).
 */
export const CATEGORIES: Record<string, string> = {
  '01': '公用设施',
  '02': '道路交通',
  '03': '市容环境',
  '04': '园林绿化',
  '05': '房屋土地',
  '06': '其他设施',
};

export const SUBCLASSES: Record<string, string> = {
  '0101': '上水井盖',
  '0102': '污水井盖',
  '0103': '雨水井盖',
  '0104': '雨水箅子',
  '0105': '电力井盖',
  '0106': '路灯井盖',
  '0107': '通讯井盖',
  '0108': '燃气井盖',
  '0109': '消防栓',
  '0110': '路灯',
  '0201': '公交站亭',
  '0202': '过街天桥',
  '0203': '交通标志牌',
  '0301': '公共厕所',
  '0302': '垃圾间',
  '0303': '果皮箱',
  '0304': '报刊亭',
  '0401': '古树名木',
  '0402': '行道树',
};

export const STATUSES = ['normal', 'damaged', 'missing', 'removed'] as const;
export type ComponentStatus = (typeof STATUSES)[number];
